/**
 * The estimator contract, checked over every estimator `src/models` exports: parameter handling
 * (defaults, unknown keys, out-of-range values, immutability), reproducibility (same seed, same
 * artifact), artifact round trips (save, load, predict identically) and well-formed probabilities.
 * A new estimator joins by adding a line to CASES; the per-family suites test what is particular.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Matrix } from '../core/index.js'
import { AppError, Rng } from '../core/index.js'
import type { EstimatorDefinition } from './define.js'
import type { Estimator, FitOptions, FittedModel } from './estimator.js'
import { isClassifier } from './estimator.js'
import * as models from './index.js'
import {
  BaselineClassifier,
  BaselineRegressor,
  DecisionTreeClassifier,
  DecisionTreeRegressor,
  GradientBoostingClassifier,
  GradientBoostingRegressor,
  LinearRegression,
  LogisticRegression,
  loadModel,
  MLPClassifier,
  MLPRegressor,
  RandomForestClassifier,
  RandomForestRegressor,
} from './index.js'

type AnyParams = Record<string, unknown>
type AnyEstimator = Estimator<object, FittedModel>
type Ctor = (new (params?: never) => AnyEstimator) & { readonly definition: EstimatorDefinition<object> }

interface Case {
  readonly ctor: Ctor
  readonly task: 'classification' | 'regression'
  /** Params that keep the fit small and fast (few trees, few epochs, one thread). */
  readonly small: AnyParams
  /** Params whose seed changes the model (some row or feature sampling, or weight init). */
  readonly seeded: boolean
  /** Values out of range, one param at a time, each of which must be rejected naming its key. */
  readonly outOfRange: AnyParams
}

const GBDT_SMALL = { nEstimators: 8, maxLeaves: 4, minSamplesLeaf: 3, subsample: 0.7, threads: 1 }
const RF_SMALL = { nEstimators: 6, threads: 1 }
const MLP_SMALL = { hiddenLayers: [6], maxEpochs: 3, batchSize: 32, threads: 1 }
const GBDT_RANGE = { nEstimators: 0, learningRate: 0, maxBins: 256, subsample: 1.5, maxLeaves: 1 }
const TREE_RANGE = { maxDepth: -1, minSamplesSplit: 1, maxBins: 1, seed: -1, maxFeatures: 1.5 }
const MLP_RANGE = { dropout: 0.99, batchSize: 0, learningRate: 0, hiddenLayers: [0], validationFraction: 0.9 }

const CASES: readonly Case[] = [
  {
    ctor: BaselineClassifier as Ctor,
    task: 'classification',
    small: {},
    seeded: false,
    outOfRange: { strategy: 'mean' },
  },
  {
    ctor: BaselineRegressor as Ctor,
    task: 'regression',
    small: {},
    seeded: false,
    outOfRange: { strategy: 'prior' },
  },
  {
    ctor: LogisticRegression as Ctor,
    task: 'classification',
    small: {},
    seeded: false,
    outOfRange: { l2: -1, l1Ratio: 1.5, maxIter: 0, tol: 0 },
  },
  {
    ctor: LinearRegression as Ctor,
    task: 'regression',
    small: {},
    seeded: false,
    outOfRange: { l2: -1, l1Ratio: 1.5, maxIter: 0, tol: 0 },
  },
  {
    ctor: DecisionTreeClassifier as Ctor,
    task: 'classification',
    small: {},
    seeded: false,
    outOfRange: TREE_RANGE,
  },
  {
    ctor: DecisionTreeRegressor as Ctor,
    task: 'regression',
    small: {},
    seeded: false,
    outOfRange: TREE_RANGE,
  },
  {
    ctor: RandomForestClassifier as Ctor,
    task: 'classification',
    small: RF_SMALL,
    seeded: true,
    outOfRange: { ...TREE_RANGE, nEstimators: 0, threads: -1 },
  },
  {
    ctor: RandomForestRegressor as Ctor,
    task: 'regression',
    small: RF_SMALL,
    seeded: true,
    outOfRange: { ...TREE_RANGE, nEstimators: 0, threads: -1 },
  },
  {
    ctor: GradientBoostingClassifier as Ctor,
    task: 'classification',
    small: GBDT_SMALL,
    seeded: true,
    outOfRange: { ...GBDT_RANGE, scalePosWeight: 0 },
  },
  {
    ctor: GradientBoostingRegressor as Ctor,
    task: 'regression',
    small: GBDT_SMALL,
    seeded: true,
    outOfRange: { ...GBDT_RANGE, huberAlpha: 1 },
  },
  {
    ctor: MLPClassifier as Ctor,
    task: 'classification',
    small: MLP_SMALL,
    seeded: true,
    outOfRange: MLP_RANGE,
  },
  {
    ctor: MLPRegressor as Ctor,
    task: 'regression',
    small: MLP_SMALL,
    seeded: true,
    outOfRange: MLP_RANGE,
  },
]

const make = (c: Case, params: AnyParams = {}): AnyEstimator => new c.ctor(params as never)

/**
 * Seeded rows: two numeric columns (the second with ~10 % missing), a categorical code column
 * (4 levels, some missing) and a noise column; y depends on all but the noise.
 */
function dataset(
  rows: number,
  seed: number,
  task: 'binary' | 'multiclass' | 'regression',
): Matrix & { y: Float64Array } {
  const rng = new Rng(seed)
  const cols = 4
  const data = new Float64Array(rows * cols)
  const y = new Float64Array(rows)
  for (let i = 0; i < rows; i++) {
    const a = rng.normal()
    const b = rng.next() < 0.1 ? Number.NaN : rng.normal()
    const cat = rng.next() < 0.05 ? Number.NaN : rng.int(4)
    data.set([a, b, cat, rng.normal()], i * cols)
    const score = a + (Number.isNaN(b) ? 0 : 0.5 * b) + (cat === 2 ? 1.5 : 0) + 0.3 * rng.normal()
    if (task === 'regression') y[i] = 3 * score + 10
    else if (task === 'binary') y[i] = score > 0.2 ? 1 : 0
    else y[i] = score < -0.5 ? 0 : score < 0.7 ? 1 : 2
  }
  return { rows, cols, data, y }
}

function fitOptions(c: Case): FitOptions {
  // Estimators tagged categorical take the codes column as such; the others see it as a number.
  return c.ctor.definition.tags.categorical
    ? { categoricalFeatures: [2], featureNames: ['a', 'b', 'cat', 'noise'] }
    : { featureNames: ['a', 'b', 'cat', 'noise'] }
}

/** Asserts `fn` throws Keel's INVALID_ARGUMENT error naming `key` (in details.param and the message). */
function assertRejects(fn: () => unknown, key: string, why: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AppError, `${why}: expected an AppError, got ${String(e)}`)
    assert.equal(e.code, 'INVALID_ARGUMENT', why)
    const param = (e.details as { param?: unknown } | undefined)?.param
    assert.ok(
      typeof param === 'string' && (param === key || param.startsWith(`${key}[`)),
      `${why}: details.param is ${JSON.stringify(param)}, expected '${key}'`,
    )
    assert.ok(e.message.includes(`'${key}`), `${why}: the message does not name '${key}': ${e.message}`)
    return true
  })
}

/** A value of the wrong type for a param whose default is `d`. */
function wrongType(d: unknown): unknown {
  if (typeof d === 'number') return 'seven'
  if (typeof d === 'boolean') return 'yes'
  if (Array.isArray(d)) return 'not-a-list'
  if (typeof d === 'string' || d === null) return 'no-such-choice'
  return Symbol('unexpected')
}

function taskOf(c: Case): 'binary' | 'regression' {
  return c.task === 'classification' ? 'binary' : 'regression'
}

describe('estimator conformance: coverage and twins', () => {
  it('every estimator class src/models exports is checked here', () => {
    const exported = (Object.values(models) as unknown[]).filter(
      (v): v is Ctor => typeof v === 'function' && 'definition' in v && v.definition !== undefined,
    )
    assert.ok(exported.length >= CASES.length)
    for (const e of exported)
      assert.ok(
        CASES.some((c) => c.ctor === e),
        `${e.name} has no conformance case`,
      )
  })

  it('each definition names its class and kind, and tags its task', () => {
    for (const c of CASES) {
      const def = c.ctor.definition
      assert.equal(def.name, c.ctor.name)
      assert.equal(make(c).kind, def.kind)
      assert.equal(def.tags.task, c.task)
    }
  })

  it('a classifier and its regressor twin declare the same tags but the task', () => {
    const twins = [
      [models.BaselineClassifier, models.BaselineRegressor],
      [models.LogisticRegression, models.LinearRegression],
      [models.DecisionTreeClassifier, models.DecisionTreeRegressor],
      [models.RandomForestClassifier, models.RandomForestRegressor],
      [models.GradientBoostingClassifier, models.GradientBoostingRegressor],
      [models.MLPClassifier, models.MLPRegressor],
    ] as const
    for (const [cls, reg] of twins) {
      assert.deepEqual({ ...cls.definition.tags, task: 'regression' }, reg.definition.tags, cls.name)
    }
  })
})

for (const c of CASES) {
  const name = c.ctor.name
  describe(`estimator conformance: ${name}`, () => {
    const defaults = make(c).getParams() as AnyParams
    const keys = Object.keys(defaults)

    it('getParams returns a copy of the defaults; withParams returns a new estimator', () => {
      assert.ok(keys.length > 0)
      const e = make(c)
      const p = e.getParams() as AnyParams
      for (const k of keys) {
        const v = p[k]
        if (Array.isArray(v)) v.push(999)
      }
      assert.deepEqual(e.getParams(), defaults, 'mutating what getParams returned changed the estimator')
      assert.deepEqual(e.withParams({}).getParams(), defaults)
      const first = keys[0]!
      const patched = e.withParams({ [first]: defaults[first] } as never)
      assert.notEqual(patched, e)
      assert.equal(patched.kind, e.kind)
      assert.deepEqual(Object.keys(patched.getParams()), keys, 'params keep the defaults key order')
    })

    it('an explicitly undefined param means its default', () => {
      for (const k of keys) {
        assert.deepEqual(make(c, { [k]: undefined }).getParams(), defaults, `${k}: undefined`)
      }
    })

    it('rejects unknown params, naming the key', () => {
      assertRejects(() => make(c, { noSuchParam: 1 }), 'noSuchParam', 'constructor')
      assertRejects(() => make(c).withParams({ noSuchParam: 1 } as never), 'noSuchParam', 'withParams')
    })

    it('rejects values of the wrong type, naming the key', () => {
      for (const k of keys)
        assertRejects(() => make(c, { [k]: wrongType(defaults[k]) }), k, `${k}: wrong type`)
      for (const k of keys) {
        if (typeof defaults[k] === 'number') {
          assertRejects(() => make(c, { [k]: Number.NaN }), k, `${k}: NaN`)
          assertRejects(() => make(c, { [k]: Number.POSITIVE_INFINITY }), k, `${k}: Infinity`)
        }
      }
    })

    it('rejects out-of-range values, naming the key', () => {
      for (const [k, v] of Object.entries(c.outOfRange)) {
        assert.ok(keys.includes(k), `${k} is not a param of ${name}`)
        assertRejects(() => make(c, { [k]: v }), k, `${k}: ${JSON.stringify(v)}`)
        assertRejects(() => make(c).withParams({ [k]: v } as never), k, `withParams ${k}`)
      }
    })

    it('the same seed gives an identical artifact', async () => {
      const d = dataset(160, 11, taskOf(c))
      const est = make(c, c.small)
      const a = JSON.stringify((await est.fit(d, d.y, fitOptions(c))).toArtifact())
      const b = JSON.stringify((await make(c, c.small).fit(d, d.y, fitOptions(c))).toArtifact())
      assert.equal(a, b)
      if (c.seeded) {
        const other = make(c, { ...c.small, seed: 12345 })
        const s = JSON.stringify((await other.fit(d, d.y, fitOptions(c))).toArtifact())
        assert.notEqual(s, a, 'a different seed should give a different model')
      }
    })

    it('save then load predicts identically, and saves the same artifact again', async () => {
      const d = dataset(160, 5, taskOf(c))
      const test = dataset(50, 6, taskOf(c))
      const model = await make(c, c.small).fit(d, d.y, fitOptions(c))
      assert.equal(model.kind, c.ctor.definition.kind)
      const artifact = model.toArtifact()
      assert.deepEqual(artifact.params, JSON.parse(JSON.stringify(make(c, c.small).getParams())))
      const json = JSON.stringify(artifact)
      const loaded = loadModel(JSON.parse(json))
      assert.equal(loaded.kind, model.kind)
      assert.equal(loaded.task, model.task)
      assert.deepEqual(loaded.featureNames, ['a', 'b', 'cat', 'noise'])
      assert.deepEqual(loaded.predict(test), model.predict(test))
      if (isClassifier(model)) {
        assert.ok(isClassifier(loaded))
        assert.deepEqual(loaded.predictProba(test), model.predictProba(test))
      }
      assert.equal(JSON.stringify(loaded.toArtifact()), json)
    })

    if (c.task === 'classification') {
      for (const task of ['binary', 'multiclass'] as const) {
        it(`${task}: probabilities are in [0, 1], sum to 1 per row, and predict is their argmax`, async () => {
          const d = dataset(180, 21, task)
          const k = task === 'binary' ? 2 : 3
          const model = await make(c, c.small).fit(d, d.y, fitOptions(c))
          assert.ok(isClassifier(model))
          assert.equal(model.nClasses, k)
          assert.equal(model.task, task)
          const test = dataset(60, 22, task)
          const proba = model.predictProba(test)
          const pred = model.predict(test)
          assert.equal(proba.rows, test.rows)
          assert.equal(proba.cols, k)
          for (let r = 0; r < proba.rows; r++) {
            let sum = 0
            let best = 0
            for (let j = 0; j < k; j++) {
              const p = proba.data[r * k + j]!
              assert.ok(p >= 0 && p <= 1, `row ${r} class ${j}: ${p}`)
              sum += p
              if (p > proba.data[r * k + best]!) best = j
            }
            assert.ok(Math.abs(sum - 1) < 1e-12, `row ${r} sums to ${sum}`)
            assert.equal(pred[r], best, `row ${r}`)
          }
        })
      }
    } else {
      it('predicts one finite value per row', async () => {
        const d = dataset(160, 31, 'regression')
        const model = await make(c, c.small).fit(d, d.y, fitOptions(c))
        assert.equal(model.task, 'regression')
        const out = model.predict(dataset(40, 32, 'regression'))
        assert.equal(out.length, 40)
        assert.ok(out.every(Number.isFinite))
      })
    }
  })
}
