import {
  type Contribution,
  explainBundleRow,
  type FeatureRow,
  isExplainable,
  ModelBundle,
  type ModelOutput,
  type ModelSource,
  type ServableModel,
} from '../pipeline/index.js'
import { openRegistry, subscribeRegistryChanges } from '../registry/index.js'

/** Wraps a model bundle as something the server can serve. */
export function bundleToServable(bundle: ModelBundle, name: string, version: number): ServableModel {
  return {
    name,
    version,
    task: bundle.task,
    ...(bundle.task === 'regression' ? {} : { classes: bundle.classes }),
    features: bundle.features.map((f) => ({
      name: f.name,
      kind: f.kind,
      ...(f.levels === undefined ? {} : { levels: f.levels }),
      // A feature never missing in training must be sent; one that was may be null or absent.
      required: f.hadMissing === false,
      unknownLevel: 'missing' as const,
    })),
    predict(rows: ReadonlyArray<FeatureRow>): ModelOutput[] {
      const out = bundle.predictRecords(rows)
      const k = bundle.classes.length
      return out.labels.map((label, i) => {
        if (out.proba === undefined) return { prediction: label }
        const probabilities: Record<string, number> = {}
        for (let c = 0; c < k; c++) probabilities[bundle.classes[c]!] = out.proba.data[i * k + c]!
        return { prediction: label, probabilities }
      })
    },
    // Only trees and linear models have exact explanations; without `explain` the server answers
    // explain=true with 422 SERVE_EXPLAIN_UNSUPPORTED (an MLP, an ONNX graph).
    ...(isExplainable(bundle)
      ? { explain: (row: FeatureRow, top: number): Contribution[] => explainBundleRow(bundle, row, top) }
      : {}),
    // The server calls it once a swapped-out version's in-flight calls finished.
    close: () => bundle.close(),
  }
}

/**
 * A `ModelSource` over the registry: references resolve through aliases (so a promotion is seen
 * by the server's push subscription on PostgreSQL, and by its poll everywhere) and artifacts are
 * loaded with their content hash verified.
 */
export async function createRegistryModelSource(
  storeUrl?: string,
): Promise<ModelSource & { close(): Promise<void> }> {
  const registry = await openRegistry(storeUrl)
  return {
    async resolve(ref: string) {
      const resolved = await registry.resolve(ref)
      return { name: resolved.name, version: resolved.version }
    },
    async load(name: string, version: number) {
      const loaded = await registry.loadArtifact(`${name}@${version}`)
      return bundleToServable(ModelBundle.load(loaded.bytes), name, version)
    },
    async fallbackOf(name: string, version: number) {
      const v = await registry.getVersion(`${name}@${version}`)
      return v.fallback ?? undefined
    },
    async aliasesOf(name: string) {
      return (await registry.aliasState(name)).aliases
    },
    // On PostgreSQL a promotion reaches every replica by push within milliseconds; elsewhere (the
    // embedded SQLite) this is a no-op and the server's poll carries changes.
    subscribeChanges(onChange, onError) {
      return subscribeRegistryChanges(storeUrl, onChange, onError === undefined ? {} : { onError })
    },
    async close() {
      await registry.close()
    },
  }
}
