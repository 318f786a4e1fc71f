// Keel's architecture, checked in CI (test/architecture.test.ts runs `npm run lint:deps`).
//
// The capability folders of src/ form layers; a folder may import its own layer's folders only where
// no cycle forms, and lower layers, never higher ones:
//
//   core, runtime, http                 (foundations: no Keel imports but core)
//   store                               (the shared database)
//   data, models, eval, llm             (learning and provider building blocks)
//   pipeline                            (fitted bundle, encoder, labels, explanations, reference
//                                        profile, the servable contract: what train produces and
//                                        serve runs)
//   train, track, registry, predlog,    (producing and recording models; the prediction log;
//   interop, optimize, jobs, outofcore   models from other runtimes in and out; slimmer versions;
//                                        batch scoring spread over workers; GBDT trained in SQL)
//   serve, monitor, rag                 (servers and their plugins; serve mounts monitor and rag)
//   cli                                 (commands wiring the rest)
//
// src/index.ts (the package's union of capability indexes) sits above everything.

/** Folders of each layer, lowest first. */
const LAYERS = [
  ['core', 'runtime', 'http'],
  ['store'],
  ['data', 'models', 'eval', 'llm'],
  ['pipeline'],
  ['train', 'track', 'registry', 'predlog', 'interop', 'optimize', 'jobs', 'outofcore'],
  ['serve', 'monitor', 'rag'],
  ['cli'],
]

/** `^src/(a|b)/` */
const folders = (names) => `^src/(${names.join('|')})/`

/** Every layer may import only its own and lower layers' folders: one rule per layer. */
const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer.join('-')}`,
  comment: `${layer.join(', ')} may not import the higher layers (${LAYERS.slice(i + 1)
    .flat()
    .join(', ')}).`,
  severity: 'error',
  from: { path: folders(layer), pathNot: '\\.test\\.ts$' },
  to: { path: folders(LAYERS.slice(i + 1).flat()) },
}))

/**
 * Same-layer edges the design allows; the other folders of a layer are independent of each other.
 * These edges form no circle, so with the layer rules the folder graph has no cycle at all
 * (test/architecture.test.ts also checks that on the cruised graph itself).
 */
const SAME_LAYER = {
  core: [],
  runtime: ['core'],
  http: ['core'],
  data: [],
  models: [],
  eval: ['models'],
  llm: [],
  train: ['track', 'registry'],
  track: [],
  registry: ['track'],
  predlog: [],
  // Imports register versions; optimization trains students, scores them and registers children.
  interop: ['train', 'track', 'registry'],
  optimize: ['train', 'track', 'registry', 'interop'],
  // Distributed batch scoring: a coordinator and workers on a job queue, scoring with train's code.
  jobs: ['train', 'registry'],
  // Out-of-core GBDT: trains in a database, then records and registers like `keel train`.
  outofcore: ['train', 'track', 'registry'],
  // The server mounts the monitoring and RAG plugins; they never import the server.
  serve: ['monitor', 'rag'],
  monitor: [],
  rag: [],
}

const sameLayerRules = LAYERS.flatMap((layer) =>
  layer
    .filter((name) => SAME_LAYER[name] !== undefined)
    .map((name) => {
      const forbidden = layer.filter((other) => other !== name && !SAME_LAYER[name].includes(other))
      return forbidden.length === 0
        ? undefined
        : {
            name: `same-layer-${name}`,
            comment: `${name} may not import ${forbidden.join(', ')} (same layer; allowed: ${
              SAME_LAYER[name].join(', ') || 'none'
            }).`,
            severity: 'error',
            from: { path: `^src/${name}/`, pathNot: '\\.test\\.ts$' },
            to: { path: folders(forbidden) },
          }
    })
    .filter((rule) => rule !== undefined),
)

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      comment:
        'Capability folders must not depend on each other in a circle (a cycle through files of two or more src/ folders).',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: {
        circular: true,
        // Cycles that stay inside one folder are reported by no-file-cycle below.
        via: { pathNot: '^src/$1/' },
      },
    },
    {
      name: 'no-file-cycle',
      comment:
        'Modules must not import each other in a circle, even within one folder (types included): move what both need into a leaf module they both import.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...layerRules,
    ...sameLayerRules,
    {
      name: 'no-test-helpers-in-src',
      comment: 'Library code must not import test files.',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '\\.test\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js'],
    },
    // `import type` counts: a type-only edge still couples the two folders' designs.
    reporterOptions: { text: { highlightFocused: true } },
  },
}
