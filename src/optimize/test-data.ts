/**
 * Seeded synthetic data and bundle fitting for the optimizer tests (no fixtures on disk: the data
 * is a function of the seed).
 * @internal
 */
import { Rng } from '../core/index.js'
import { type Column, type Dataset, selectRows } from '../data/index.js'
import type { TaskKind } from '../models/index.js'
import { encodeTarget, fitFeatureEncoder, ModelBundle } from '../pipeline/index.js'
import { encodingFor, type ModelFamily, makeEstimator } from '../train/index.js'

const LEVELS = ['a', 'b', 'c', 'd', 'e']

/**
 * A binary (or regression) set: `numeric` standard-normal features (the first six carry signal,
 * with interactions and curvature), two categorical features (one carries signal), a little
 * missingness, and a target 'y' ('no'/'yes', or a value).
 */
export function syntheticData(
  rows: number,
  seed: number,
  options: { numeric?: number; task?: 'binary' | 'regression' } = {},
): Dataset {
  const p = options.numeric ?? 12
  const rng = new Rng(seed)
  const num = Array.from({ length: p }, () => new Float64Array(rows))
  const cat1 = new Int32Array(rows)
  const cat2 = new Int32Array(rows)
  const yNum = new Float64Array(rows)
  const yCat = new Int32Array(rows)
  const effect = [0.8, -0.4, 0, 0.3, -0.7]
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < p; j++) num[j]![i] = rng.normal()
    cat1[i] = rng.int(LEVELS.length)
    cat2[i] = rng.int(LEVELS.length)
    const x = (j: number): number => num[j % p]![i]!
    const s =
      1.1 * x(0) -
      0.9 * x(1) * x(2) +
      Math.sin(2 * x(3)) +
      0.4 * x(4) * x(4) -
      0.4 +
      0.5 * x(5) +
      effect[cat1[i]!]!
    yNum[i] = s + 0.3 * rng.normal()
    yCat[i] = rng.next() < 1 / (1 + Math.exp(-1.6 * s)) ? 1 : 0
    if (rng.next() < 0.02) num[1]![i] = Number.NaN
  }
  const columns: Column[] = [
    ...num.map((values, j): Column => ({ kind: 'numeric', name: `x${j}`, values })),
    { kind: 'categorical', name: 'c1', codes: cat1, levels: LEVELS },
    { kind: 'categorical', name: 'c2', codes: cat2, levels: LEVELS },
    options.task === 'regression'
      ? { kind: 'numeric', name: 'y', values: yNum }
      : { kind: 'categorical', name: 'y', codes: yCat, levels: ['no', 'yes'] },
  ]
  return { nRows: rows, columns }
}

/** Rows [from, to) of a dataset. */
export function rowRange(ds: Dataset, from: number, to: number): Dataset {
  return selectRows(
    ds,
    Int32Array.from({ length: to - from }, (_, i) => from + i),
  )
}

/** Fits a family on `ds` (features: every column but 'y') as training does, into a bundle. */
export async function fitBundle(
  family: ModelFamily,
  ds: Dataset,
  params: Record<string, unknown> = {},
  task?: TaskKind,
): Promise<ModelBundle> {
  const target = encodeTarget(ds.columns.find((c) => c.name === 'y')!, task)
  const features = ds.columns.filter((c) => c.name !== 'y').map((c) => c.name)
  const encoder = fitFeatureEncoder(ds, features, encodingFor(family))
  const x = encoder.encodeDataset(ds)
  const model = await makeEstimator(family, target.task, params, 7).fit(x, target.y, {
    featureNames: encoder.outputNames,
    categoricalFeatures: encoder.categoricalOutputs,
    indicatorFeatures: encoder.indicatorOutputs,
  })
  return new ModelBundle({
    task: target.task,
    target: 'y',
    classes: target.classes,
    features: features.map((name) => {
      const c = ds.columns.find((col) => col.name === name)!
      return c.kind === 'categorical' ? { name, kind: c.kind, levels: c.levels } : { name, kind: c.kind }
    }),
    encoder,
    model,
    threshold: 0.5,
    family,
  })
}
