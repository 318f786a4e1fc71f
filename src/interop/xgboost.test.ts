import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { isAppError, type Matrix, Rng } from '../core/index.js'
import { treeShap } from '../eval/index.js'
import {
  FittedGradientBoostingClassifier,
  FittedGradientBoostingRegressor,
  type TreeView,
} from '../models/index.js'
import { importXgboost, XgboostImportError, xgboostThreshold } from './xgboost.js'

// Models trained and scored by xgboost 1.7.4: scripts/fixtures/xgboost_fixtures.py, see the
// folder's README.md. No Python runs here.
const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/interop/xgboost')
/**
 * Parity with XGBoost's predict(): probabilities to 1e-6 absolute, margins and regression values to
 * 1e-6 relative to max(1, |value|). XGBoost sums leaf values in float32 and Keel in float64, so
 * they differ by the float32 rounding of XGBoost's running sum (half an ulp per tree: an ulp is
 * 4.8e-7 for margins in [4, 8), 9.5e-7 in [8, 16)); `assertSameLeaves` shows that this rounding is
 * the only difference.
 */
const TOLERANCE = 1e-6

/** Largest |a - b| / max(1, |b|). */
function maxScaled(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length)
  let max = 0
  for (let i = 0; i < a.length; i++)
    max = Math.max(max, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)))
  return max
}

/** The leaf `row` reaches in `tree`, by the TreeView rules (x <= threshold left; codes in the left set left). */
function leafOf(tree: TreeView, data: Float64Array, offset: number): number {
  let node = 0
  while (tree.feature[node]! >= 0) {
    const v = data[offset + tree.feature[node]!]!
    let left: boolean
    if (Number.isNaN(v)) left = tree.defaultLeft[node] === 1
    else if (tree.categorical?.[node] === 1) left = tree.categoriesLeft![node]!.includes(v)
    else left = v <= tree.threshold[node]!
    node = left ? tree.left[node]! : tree.right[node]!
  }
  return node
}

/**
 * Keel picks the leaves XGBoost picks, on every row and tree: the leaves the imported trees route
 * each row to, summed in float32 in tree order as XGBoost's CPU predictor does, give XGBoost's
 * margins bit for bit; summed in float64 they give Keel's margins.
 */
function assertSameLeaves(
  model: FittedGradientBoostingClassifier | FittedGradientBoostingRegressor,
  x: Matrix,
  margins: Float64Array[],
): void {
  const ensemble = model.treeEnsemble()
  const k = ensemble.nOutputs
  const raw = model.predictRaw(x)
  for (let r = 0; r < x.rows; r++) {
    const f32 = Float64Array.from(ensemble.baseScore)
    const f64 = Float64Array.from(ensemble.baseScore)
    for (const { tree, output } of ensemble.trees) {
      const leaf = tree.value[leafOf(tree, x.data, r * x.cols)]!
      f32[output] = Math.fround(f32[output]! + leaf)
      f64[output] = f64[output]! + leaf
    }
    for (let o = 0; o < k; o++) {
      assert.equal(f32[o], margins[o]![r], `row ${r} output ${o}: float32 sum of Keel's leaves`)
      assert.ok(Math.abs(f64[o]! - raw[r * k + o]!) < 1e-12, `row ${r}: Keel's scorer`)
    }
  }
}

function fixture(name: string): string {
  return readFileSync(resolve(FIXTURES, name), 'utf8')
}

/** A fixture CSV: header and a row-major matrix (an empty field is missing: NaN). */
function readCsv(name: string): { header: string[]; x: Matrix } {
  const lines = fixture(name).trim().split('\n')
  const header = lines[0]!.split(',')
  const cols = header.length
  const rows = lines.length - 1
  const data = new Float64Array(rows * cols)
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1]!.split(',')
    assert.equal(cells.length, cols, `${name} row ${r + 1}`)
    for (let c = 0; c < cols; c++) data[r * cols + c] = cells[c] === '' ? Number.NaN : Number(cells[c])
  }
  return { header, x: { rows, cols, data } }
}

/** Column `name` of an expected file. */
function columnOf(csv: { header: string[]; x: Matrix }, name: string): Float64Array {
  const c = csv.header.indexOf(name)
  assert.ok(c >= 0, `column ${name}`)
  const out = new Float64Array(csv.x.rows)
  for (let r = 0; r < csv.x.rows; r++) out[r] = csv.x.data[r * csv.x.cols + c]!
  return out
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!))
  return max
}

/** Column k of a row-major rows x cols array. */
function pick(data: Float64Array, cols: number, k: number): Float64Array {
  return Float64Array.from({ length: data.length / cols }, (_, r) => data[r * cols + k]!)
}

function load(folder: string) {
  const imported = importXgboost(fixture(`${folder}/model.json`))
  const test = readCsv(`${folder}/test.csv`)
  const expected = readCsv(`${folder}/expected.csv`)
  assert.deepEqual(test.header, imported.featureNames)
  return { imported, x: test.x, expected }
}

/** SHAP values of every row add up to the margin (the explanation covers the imported trees). */
function assertShapAdditive(
  model: FittedGradientBoostingClassifier | FittedGradientBoostingRegressor,
  x: Matrix,
): void {
  const shap = treeShap(model.treeEnsemble(), x)
  const raw = model.predictRaw(x)
  const k = model.nOutputs
  let worst = 0
  for (let r = 0; r < x.rows; r++) {
    for (let o = 0; o < k; o++) {
      let sum = shap.expectedValue[o]!
      for (let f = 0; f < x.cols; f++) sum += shap.values[(r * k + o) * x.cols + f]!
      worst = Math.max(worst, Math.abs(sum - raw[r * k + o]!) / Math.max(1, Math.abs(raw[r * k + o]!)))
    }
  }
  assert.ok(worst < 1e-9, `SHAP additivity error ${worst}`)
}

const measured: string[] = []

describe('importXgboost parity with xgboost 1.7.4 predict()', () => {
  test('binary:logistic with missing values, no feature names', () => {
    const { imported, x, expected } = load('binary_missing')
    assert.equal(imported.producer, 'xgboost 1.7.4')
    assert.equal(imported.task, 'binary')
    assert.equal(imported.nClasses, 2)
    assert.equal(imported.namedFeatures, false)
    assert.equal(imported.featureNames[29], 'f29')
    assert.deepEqual(imported.categoricalFeatures, [])
    const model = imported.model
    assert.ok(model instanceof FittedGradientBoostingClassifier)
    let nan = 0
    for (const v of x.data) if (Number.isNaN(v)) nan++
    assert.ok(nan > 500, 'the test rows carry missing values')
    const margin = maxScaled(model.predictRaw(x), columnOf(expected, 'margin'))
    const proba = maxAbs(pick(model.predictProba(x).data, 2, 1), columnOf(expected, 'proba'))
    assertSameLeaves(model, x, [columnOf(expected, 'margin')])
    measured.push(
      `binary_missing: proba ${proba.toExponential(2)}, margin (scaled) ${margin.toExponential(2)}`,
    )
    assert.ok(margin <= TOLERANCE, `margin error ${margin}`)
    assert.ok(proba <= TOLERANCE, `probability error ${proba}`)
    assertShapAdditive(model, x)
  })

  test('multi:softprob with feature names from pandas', () => {
    const { imported, x, expected } = load('multiclass')
    assert.equal(imported.task, 'multiclass')
    assert.equal(imported.nClasses, 3)
    assert.equal(imported.namedFeatures, true)
    assert.equal(imported.featureNames[0], 'alcohol')
    const model = imported.model
    assert.ok(model instanceof FittedGradientBoostingClassifier)
    const raw = model.predictRaw(x)
    const proba = model.predictProba(x).data
    let pErr = 0
    let mErr = 0
    for (let k = 0; k < 3; k++) {
      pErr = Math.max(pErr, maxAbs(pick(proba, 3, k), columnOf(expected, `proba_${k}`)))
      mErr = Math.max(mErr, maxScaled(pick(raw, 3, k), columnOf(expected, `margin_${k}`)))
    }
    assertSameLeaves(
      model,
      x,
      [0, 1, 2].map((k) => columnOf(expected, `margin_${k}`)),
    )
    measured.push(`multiclass: proba ${pErr.toExponential(2)}, margin (scaled) ${mErr.toExponential(2)}`)
    assert.ok(pErr <= TOLERANCE, `probability error ${pErr}`)
    assert.ok(mErr <= TOLERANCE, `margin error ${mErr}`)
    assertShapAdditive(model, x)
  })

  test('multi:softmax with base_score 0.2: margins and the predicted class', () => {
    const { imported, x, expected } = load('softmax_base_score')
    const model = imported.model
    assert.ok(model instanceof FittedGradientBoostingClassifier)
    assert.ok(imported.notes.some((n) => n.includes('0.2')))
    const raw = model.predictRaw(x)
    let mErr = 0
    for (let k = 0; k < 3; k++)
      mErr = Math.max(mErr, maxScaled(pick(raw, 3, k), columnOf(expected, `margin_${k}`)))
    assertSameLeaves(
      model,
      x,
      [0, 1, 2].map((k) => columnOf(expected, `margin_${k}`)),
    )
    measured.push(`softmax_base_score: margin (scaled) ${mErr.toExponential(2)}`)
    assert.ok(mErr <= TOLERANCE, `margin error ${mErr}`)
    assert.deepEqual(Array.from(model.predict(x)), Array.from(columnOf(expected, 'class')))
  })

  test('reg:squarederror with feature names from the DMatrix', () => {
    const { imported, x, expected } = load('regression')
    assert.equal(imported.task, 'regression')
    assert.equal(imported.nClasses, undefined)
    assert.deepEqual(imported.featureNames.slice(0, 3), ['age', 'sex', 'bmi'])
    const model = imported.model
    assert.ok(model instanceof FittedGradientBoostingRegressor)
    const got = model.predict(x)
    const want = columnOf(expected, 'prediction')
    let abs = 0
    let rel = 0
    for (let r = 0; r < want.length; r++) {
      const e = Math.abs(got[r]! - want[r]!)
      abs = Math.max(abs, e)
      rel = Math.max(rel, e / Math.abs(want[r]!))
    }
    assertSameLeaves(model, x, [want])
    measured.push(`regression: abs ${abs.toExponential(2)}, rel ${rel.toExponential(2)}`)
    // Predictions of 25..346 are float32 in XGBoost (ulp 2^-17..2^-15 there): the float64 sum can
    // only agree to a few ulps of float32, so the bound is relative to the prediction.
    assert.ok(rel <= TOLERANCE, `relative error ${rel}`)
    assertShapAdditive(model, x)
  })

  test('categorical features (one-hot and partition splits) with base_score 0.3', () => {
    const { imported, x, expected } = load('categorical')
    assert.deepEqual(imported.categoricalFeatures, [0, 2])
    assert.deepEqual(imported.featureNames, ['colour', 'num', 'city'])
    const model = imported.model
    assert.ok(model instanceof FittedGradientBoostingClassifier)
    const margin = maxScaled(model.predictRaw(x), columnOf(expected, 'margin'))
    const proba = maxAbs(pick(model.predictProba(x).data, 2, 1), columnOf(expected, 'proba'))
    assertSameLeaves(model, x, [columnOf(expected, 'margin')])
    measured.push(`categorical: proba ${proba.toExponential(2)}, margin (scaled) ${margin.toExponential(2)}`)
    assert.ok(margin <= TOLERANCE, `margin error ${margin}`)
    assert.ok(proba <= TOLERANCE, `probability error ${proba}`)
    assertShapAdditive(model, x)
    // base_score 0.3 is a probability: the margin starts at logit(0.3).
    assert.ok(Math.abs(model.treeEnsemble().baseScore[0]! - Math.log(0.3 / 0.7)) < 1e-6)
  })

  test('dart booster: leaves scaled by weight_drop', () => {
    const { imported, x, expected } = load('dart')
    assert.ok(imported.notes.some((n) => n.includes('weight_drop')))
    const model = imported.model
    assert.ok(model instanceof FittedGradientBoostingClassifier)
    const margin = maxScaled(model.predictRaw(x), columnOf(expected, 'margin'))
    const proba = maxAbs(pick(model.predictProba(x).data, 2, 1), columnOf(expected, 'proba'))
    assertSameLeaves(model, x, [columnOf(expected, 'margin')])
    measured.push(`dart: proba ${proba.toExponential(2)}, margin (scaled) ${margin.toExponential(2)}`)
    assert.ok(margin <= TOLERANCE, `margin error ${margin}`)
    assert.ok(proba <= TOLERANCE, `probability error ${proba}`)
  })

  test("Keel's scorers agree on imported trees: WebAssembly batch, single row, plain JS", () => {
    for (const folder of ['categorical', 'multiclass']) {
      const { imported, x } = load(folder)
      const model = imported.model
      assert.ok(model instanceof FittedGradientBoostingClassifier)
      const batch = model.predictRaw(x)
      const k = model.nOutputs
      const one = new Float64Array(k)
      for (let r = 0; r < x.rows; r++) {
        model.predictRowRaw(x.data, one, r * x.cols)
        for (let o = 0; o < k; o++)
          assert.ok(Math.abs(one[o]! - batch[r * k + o]!) < 1e-12, `${folder} row ${r}`)
      }
      // KEEL_NO_WASM is read when a model first scores: a fresh import then uses the JS walker.
      process.env.KEEL_NO_WASM = '1'
      try {
        const plain = importXgboost(fixture(`${folder}/model.json`)).model
        assert.ok(plain instanceof FittedGradientBoostingClassifier)
        assert.ok(maxAbs(plain.predictRaw(x), batch) < 1e-12, folder)
      } finally {
        delete process.env.KEEL_NO_WASM
      }
    }
  })

  test('the imported model survives its artifact round trip', () => {
    const { imported, x } = load('categorical')
    const model = imported.model
    assert.ok(model instanceof FittedGradientBoostingClassifier)
    const again = importXgboost(fixture('categorical/model.json')).model
    assert.ok(again instanceof FittedGradientBoostingClassifier)
    assert.deepEqual(model.toArtifact(), again.toArtifact())
    assert.deepEqual(model.predictRaw(x), again.predictRaw(x))
  })

  test('measured parity', (t) => {
    t.diagnostic(measured.join('; '))
  })
})

describe('xgboostThreshold', () => {
  /** float32 values across magnitudes and signs, subnormals, zero and the extremes. */
  function float32Samples(rng: Rng, n: number): number[] {
    const out = [
      0,
      2 ** -149,
      -(2 ** -149),
      2 ** -126,
      1,
      -1,
      0.5,
      1.5,
      3.4028234663852886e38,
      -3.4028234663852886e38,
    ]
    const bits = new Uint32Array(1)
    const f = new Float32Array(bits.buffer)
    while (out.length < n) {
      bits[0] = Math.floor(rng.next() * 2 ** 32)
      if (Number.isFinite(f[0]!)) out.push(f[0]!)
    }
    for (let i = 0; i < 200; i++) out.push(Math.fround((rng.next() - 0.5) * 1000))
    return out
  }

  const f64 = new Float64Array(1)
  const u64 = new BigInt64Array(f64.buffer)
  function nudge(x: number, ulps: number): number {
    f64[0] = x
    // Moves up (toward +Infinity) by `ulps` float64 steps; crossing zero is not needed here.
    u64[0] = u64[0]! + BigInt(x >= 0 ? ulps : -ulps)
    return f64[0]!
  }

  test('x <= xgboostThreshold(t) exactly when Math.fround(x) < t, near every boundary', () => {
    const rng = new Rng(11)
    let checked = 0
    for (const t of float32Samples(rng, 3000)) {
      const v = xgboostThreshold(t)
      // Inputs around v (the flip point), t itself and its float64 neighbours, and random
      // inputs within a few float32 ulps of t.
      const probes = [v, t, nudge(t, 1), nudge(t, -1)]
      for (let k = -3; k <= 3; k++) if (v !== 0) probes.push(nudge(v, k))
      for (let k = 0; k < 8; k++) probes.push(t + (rng.next() - 0.5) * 4 * Math.abs(t) * 2 ** -23)
      for (const x of probes) {
        if (!Number.isFinite(x)) continue
        assert.equal(x <= v, Math.fround(x) < t, `t=${t} x=${x} v=${v}`)
        checked++
      }
    }
    assert.ok(checked > 30000)
  })

  test('round-half-to-even at the midpoint decides whether the midpoint goes left', () => {
    // 1 + 2^-23 is odd-mantissa: the float32 below it is 1 (even), so the midpoint rounds to 1 and
    // goes left; for t = 1 + 2^-22 the float32 below is odd, the midpoint rounds up to t.
    const a = 1 + 2 ** -23
    assert.equal(xgboostThreshold(a), 1 + 2 ** -24)
    const b = 1 + 2 ** -22
    const mid = 1 + 3 * 2 ** -24
    assert.ok(xgboostThreshold(b) < mid)
    assert.equal(Math.fround(mid), b)
    assert.ok(Math.fround(xgboostThreshold(b)) < b)
  })

  test('largest v: the float64 just above it no longer goes left', () => {
    const rng = new Rng(5)
    for (const t of float32Samples(rng, 2000)) {
      const v = xgboostThreshold(t)
      const above = nudge(v, 1)
      assert.ok(Math.fround(v) < t, `t=${t}`)
      assert.ok(!(Math.fround(above) < t), `t=${t} above=${above}`)
    }
  })

  test('rejects a threshold that is not a float32 value', () => {
    assert.throws(() => xgboostThreshold(0.1), RangeError)
  })
})

describe('importXgboost errors', () => {
  const base = fixture('binary_missing/model.json')
  /** The parts of a model file the error cases edit. */
  interface ModelJson {
    learner: {
      objective: { name: string }
      learner_model_param: Record<string, string>
      gradient_booster: { name: string; model: { trees: Record<string, number[]>[] } }
    }
  }
  function edited(edit: (model: ModelJson) => void): string {
    const json = JSON.parse(base) as ModelJson
    edit(json)
    return JSON.stringify(json)
  }
  function rejects(text: string, problem: string, pattern: RegExp, field?: string): void {
    assert.throws(
      () => importXgboost(text),
      (error: unknown) => {
        assert.ok(error instanceof XgboostImportError, String(error))
        assert.ok(isAppError(error))
        assert.equal(error.code, error.problem)
        assert.equal(error.problem, problem)
        assert.match(error.message, pattern)
        if (field !== undefined) assert.equal(error.details.field, field)
        return true
      },
    )
  }

  test('an unsupported objective lists the supported ones', () => {
    const text = edited((m) => {
      m.learner.objective.name = 'rank:pairwise'
    })
    rejects(
      text,
      'IMPORT_UNSUPPORTED',
      /rank:pairwise.*Supported: binary:logistic.*multi:softprob.*reg:squarederror/,
      'learner.objective.name',
    )
    rejects(
      edited((m) => {
        m.learner.objective.name = 'survival:cox'
      }),
      'IMPORT_UNSUPPORTED',
      /survival:cox/,
    )
  })

  test('UBJSON and legacy binary files say how to save JSON', () => {
    // The first bytes of a UBJSON model as XGBoost writes it: '{', a length-marked key.
    const ubj = Buffer.from([
      0x7b, 0x4c, 0, 0, 0, 0, 0, 0, 0, 7, 0x6c, 0x65, 0x61, 0x72, 0x6e, 0x65, 0x72, 0x7b,
    ]).toString('utf8')
    rejects(ubj, 'IMPORT_UNSUPPORTED', /save_model\('model\.json'\)/)
    rejects(
      Buffer.from([0, 0, 0, 0x3f, 0x62, 0x69, 0x6e, 0x66, 0xff]).toString('utf8'),
      'IMPORT_UNSUPPORTED',
      /JSON/,
    )
  })

  test('malformed files name the field', () => {
    rejects('{"learner": ', 'IMPORT_INVALID', /not valid JSON/)
    rejects(
      edited((m) => {
        delete m.learner.gradient_booster.model.trees[2]!.split_conditions
      }),
      'IMPORT_INVALID',
      /trees\[2\]\.split_conditions/,
    )
    rejects(
      edited((m) => {
        m.learner.gradient_booster.model.trees[1]!.split_indices![0] = 99
      }),
      'IMPORT_INVALID',
      /feature 99/,
      'trees[1].split_indices',
    )
    rejects(
      edited((m) => {
        m.learner.gradient_booster.model.trees[0]!.left_children![1] = 0
      }),
      'IMPORT_INVALID',
      /left_children = 0/,
    )
    rejects(
      edited((m) => {
        m.learner.learner_model_param.base_score = '1.5'
      }),
      'IMPORT_INVALID',
      /base_score/,
    )
    rejects(
      edited((m) => {
        m.learner.gradient_booster.name = 'gblinear'
      }),
      'IMPORT_UNSUPPORTED',
      /gblinear/,
    )
  })

  test('a category code above 255 is refused naming the node', () => {
    const original = fixture('categorical/model.json')
    const text = original.replace('"categories":[0,1,2,4,5,7,9,12,', '"categories":[0,1,2,4,5,7,9,300,')
    assert.ok(text !== original, 'the edit applies')
    rejects(text, 'IMPORT_UNSUPPORTED', /node 0 of trees\[0\] lists category code 300/)
  })
})
