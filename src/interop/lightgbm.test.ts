import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Matrix } from '../core/index.js'
import { treeShap } from '../eval/index.js'
import { FittedGradientBoostingClassifier, FittedGradientBoostingRegressor } from '../models/index.js'
import { importLightgbm, LightgbmImportError } from './lightgbm.js'

// Models written by the LightGBM CLI (4.6) with its own predictions: see the folder's README.md.
const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/interop/lightgbm')
/** Parity asked of an import: LightGBM's own predictions to 1e-9. */
const TOLERANCE = 1e-9

function fixture(name: string): string {
  return readFileSync(resolve(FIXTURES, name), 'utf8')
}

/** The CSV's features (label first, dropped) as a row-major matrix; 'nan' is missing. */
function loadFeatures(name: string): Matrix {
  const lines = fixture(name).trim().split('\n')
  const cols = lines[0]!.split(',').length - 1
  const rows = lines.length - 1
  const data = new Float64Array(rows * cols)
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1]!.split(',')
    assert.equal(cells.length, cols + 1, `${name} row ${r + 1}`)
    for (let c = 0; c < cols; c++) {
      const cell = cells[c + 1]!.trim()
      data[r * cols + c] = cell === 'nan' ? Number.NaN : Number(cell)
    }
  }
  return { rows, cols, data }
}

/** The expected outputs: one line per row, tab-separated columns. */
function loadExpected(name: string): number[][] {
  return fixture(name)
    .trim()
    .split('\n')
    .map((line) => line.split('\t').map(Number))
}

function maxAbsError(actual: ArrayLike<number>, expected: readonly number[]): number {
  assert.equal(actual.length, expected.length)
  let max = 0
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(actual[i]! - expected[i]!))
  return max
}

/** SHAP values plus base value give each row's margin back (checked on a few rows). */
function assertShapAdditive(
  model: FittedGradientBoostingClassifier | FittedGradientBoostingRegressor,
  x: Matrix,
) {
  const rows = Math.min(25, x.rows)
  const head: Matrix = { rows, cols: x.cols, data: x.data.subarray(0, rows * x.cols) }
  const shap = treeShap(model.treeEnsemble(), head)
  const margins = model.predictRaw(head)
  const K = shap.nOutputs
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < K; k++) {
      let sum = shap.expectedValue[k]!
      for (let f = 0; f < x.cols; f++) sum += shap.values[(r * K + k) * x.cols + f]!
      assert.ok(
        Math.abs(sum - margins[r * K + k]!) < 1e-9,
        `row ${r} output ${k}: ${sum} vs ${margins[r * K + k]}`,
      )
    }
  }
}

describe('importLightgbm: parity with LightGBM 4.6 predictions', () => {
  test('credit_data: binary with native categoricals (probabilities and raw margins)', () => {
    const imported = importLightgbm(fixture('credit_data.model.txt'))
    assert.equal(imported.format, 'lightgbm')
    assert.equal(imported.producer, 'LightGBM v4')
    assert.equal(imported.task, 'binary')
    assert.equal(imported.nClasses, 2)
    assert.equal(imported.namedFeatures, true)
    assert.deepEqual(imported.featureNames.slice(0, 3), ['Seniority', 'Home', 'Time'])
    // Home, Marital, Records, Job
    assert.deepEqual(imported.categoricalFeatures, [1, 4, 5, 6])
    assert.ok(imported.notes.some((n) => n.includes('sigmoid:1')))
    const model = imported.model
    assert.ok(model instanceof FittedGradientBoostingClassifier)
    const x = loadFeatures('credit_data.csv')
    assert.equal(x.cols, imported.featureNames.length)
    // Rows with a missing category code exist, so the NaN routing of categorical splits is tested.
    const proba = model.predictProba(x)
    const p1 = Array.from({ length: x.rows }, (_, r) => proba.data[r * 2 + 1]!)
    const expected = loadExpected('credit_data.expected.txt').map((row) => row[0]!)
    const probaError = maxAbsError(p1, expected)
    const raw = model.predictRaw(x)
    const rawError = maxAbsError(
      raw,
      loadExpected('credit_data.expected_raw.txt').map((row) => row[0]!),
    )
    console.log(`credit_data: max |p - lightgbm| = ${probaError}, max |margin - lightgbm raw| = ${rawError}`)
    assert.ok(probaError <= TOLERANCE, `probability error ${probaError}`)
    assert.ok(rawError <= TOLERANCE, `raw margin error ${rawError}`)
    assertShapAdditive(model, x)
  })

  test('ames: regression with 40 categorical columns', () => {
    const imported = importLightgbm(fixture('ames.model.txt'))
    assert.equal(imported.task, 'regression')
    assert.equal(imported.nClasses, undefined)
    assert.equal(imported.categoricalFeatures.length, 40)
    const model = imported.model
    assert.ok(model instanceof FittedGradientBoostingRegressor)
    const x = loadFeatures('ames.csv')
    const expected = loadExpected('ames.expected.txt').map((row) => row[0]!)
    const error = maxAbsError(model.predict(x), expected)
    console.log(`ames: max |prediction - lightgbm| = ${error}`)
    assert.ok(error <= TOLERANCE, `prediction error ${error}`)
    assertShapAdditive(model, x)
  })

  test('wine: 3-class softmax', () => {
    const imported = importLightgbm(fixture('wine.model.txt'))
    assert.equal(imported.task, 'multiclass')
    assert.equal(imported.nClasses, 3)
    assert.deepEqual(imported.categoricalFeatures, [])
    const model = imported.model
    assert.ok(model instanceof FittedGradientBoostingClassifier)
    const x = loadFeatures('wine.csv')
    const proba = model.predictProba(x)
    const expected = loadExpected('wine.expected.txt').flat()
    const error = maxAbsError(proba.data, expected)
    console.log(`wine: max |p - lightgbm| = ${error}`)
    assert.ok(error <= TOLERANCE, `probability error ${error}`)
    assertShapAdditive(model, x)
  })

  test('an imported model saves and loads back to identical scores', async () => {
    const { loadModel } = await import('../models/index.js')
    const imported = importLightgbm(fixture('wine.model.txt'))
    const x = loadFeatures('wine.csv')
    const reloaded = loadModel(imported.model.toArtifact())
    assert.ok(reloaded instanceof FittedGradientBoostingClassifier)
    assert.deepEqual(
      reloaded.predictProba(x).data,
      (imported.model as FittedGradientBoostingClassifier).predictProba(x).data,
    )
  })
})

/** A small hand-written binary model: one numeric split then one categorical split. */
function tinyModel(
  patch: { decisionType?: string; threshold?: string; catThreshold?: string; objective?: string } = {},
) {
  return [
    'tree',
    'version=v4',
    'num_class=1',
    'num_tree_per_iteration=1',
    'label_index=0',
    'max_feature_idx=1',
    `objective=${patch.objective ?? 'binary sigmoid:2'}`,
    'feature_names=num cat',
    'feature_infos=[0:10] 0:1:2',
    '',
    'Tree=0',
    'num_leaves=3',
    'num_cat=1',
    'split_feature=0 1',
    'split_gain=10 5',
    `threshold=${patch.threshold ?? '2.5'} 0`,
    `decision_type=${patch.decisionType ?? '2'} 1`,
    'left_child=-1 -2',
    'right_child=1 -3',
    'leaf_value=0.5 -0.25 0.125',
    'leaf_weight=1 1 1',
    'leaf_count=10 20 30',
    'internal_value=0 0',
    'internal_weight=3 2',
    'internal_count=60 50',
    'cat_boundaries=0 1',
    `cat_threshold=${patch.catThreshold ?? '5'}`,
    'is_linear=0',
    'shrinkage=1',
    '',
    '',
    'end of trees',
    '',
  ].join('\n')
}

describe('importLightgbm: routing and transforms on a hand-written model', () => {
  test('numeric, categorical, NaN and out-of-range codes route as LightGBM; sigmoid scale applies', () => {
    const imported = importLightgbm(tinyModel())
    const model = imported.model as FittedGradientBoostingClassifier
    assert.ok(imported.notes.some((n) => n.includes('multiplied by 2')))
    // cat_threshold 5 = codes {0, 2} go left.
    const rows: [number, number, number][] = [
      [1, 0, 0.5], // num <= 2.5: first leaf
      [Number.NaN, 0, 0.5], // missing type None: NaN is 0, 0 <= 2.5
      [3, 0, -0.25],
      [3, 2, -0.25],
      [3, 1, 0.125],
      [3, 7, 0.125], // code beyond the bitset
      [3, 300, 0.125],
      [3, -1, 0.125],
      [3, Number.NaN, 0.125], // NaN at a categorical split goes right
    ]
    const x: Matrix = {
      rows: rows.length,
      cols: 2,
      data: Float64Array.from(rows.flatMap((row) => row.slice(0, 2))),
    }
    const raw = model.predictRaw(x)
    for (const [r, [, , leaf]] of rows.entries()) assert.equal(raw[r], 2 * leaf, `row ${r}`)
  })

  test('missing type NaN with default right sends NaN right', () => {
    // decision_type 8: numeric, default right, missing NaN.
    const model = importLightgbm(tinyModel({ decisionType: '8' })).model as FittedGradientBoostingClassifier
    const raw = model.predictRaw({ rows: 1, cols: 2, data: Float64Array.of(Number.NaN, 1) })
    assert.equal(raw[0], 2 * 0.125)
  })

  test('a zero_as_missing split agreeing with its threshold converts; a disagreeing one is refused', () => {
    // decision_type 6: missing Zero, default left; threshold 2.5 sends zero left too.
    const model = importLightgbm(tinyModel({ decisionType: '6' })).model as FittedGradientBoostingClassifier
    const raw = model.predictRaw({ rows: 2, cols: 2, data: Float64Array.of(Number.NaN, 1, 0, 1) })
    assert.deepEqual(Array.from(raw), [1, 1])
    // decision_type 4: missing Zero, default right, but 0 <= 2.5 goes left.
    assert.throws(
      () => importLightgbm(tinyModel({ decisionType: '4' })),
      (e: unknown) =>
        e instanceof LightgbmImportError &&
        e.problem === 'IMPORT_UNSUPPORTED' &&
        e.details.tree === 0 &&
        e.details.node === 0 &&
        /zero_as_missing/.test(e.message),
    )
  })

  test('category codes above 255 are refused, naming tree and node', () => {
    // 9 words: the 9th sets code 256.
    assert.throws(
      () =>
        importLightgbm(
          tinyModel({ catThreshold: '5 0 0 0 0 0 0 0 1' }).replace(
            'cat_boundaries=0 1',
            'cat_boundaries=0 9',
          ),
        ),
      (e: unknown) =>
        e instanceof LightgbmImportError &&
        e.problem === 'IMPORT_UNSUPPORTED' &&
        e.details.code === 256 &&
        /Tree 0 node 1/.test(e.message),
    )
    // Zero words past the eighth are harmless.
    const ok = importLightgbm(
      tinyModel({ catThreshold: '5 0 0 0 0 0 0 0 0' }).replace('cat_boundaries=0 1', 'cat_boundaries=0 9'),
    )
    assert.equal(ok.task, 'binary')
  })

  test('unsupported objectives and linear trees are refused', () => {
    for (const objective of ['poisson', 'multiclassova num_class:1', 'regression sqrt']) {
      assert.throws(
        () => importLightgbm(tinyModel({ objective })),
        (e: unknown) => e instanceof LightgbmImportError && e.problem === 'IMPORT_UNSUPPORTED',
        objective,
      )
    }
    assert.throws(
      () => importLightgbm(tinyModel().replace('is_linear=0', 'is_linear=1')),
      (e: unknown) =>
        e instanceof LightgbmImportError && e.problem === 'IMPORT_UNSUPPORTED' && /linear/.test(e.message),
    )
  })

  test('average_output (random forest) divides by the rounds', () => {
    const text = tinyModel()
    const tree = text.slice(text.indexOf('Tree=0'), text.indexOf('end of trees'))
    const twoTrees = text
      .replace('feature_names=', 'average_output\nfeature_names=')
      .replace('end of trees', `${tree.replace('Tree=0', 'Tree=1')}end of trees`)
    const imported = importLightgbm(twoTrees)
    assert.ok(imported.notes.some((n) => n.includes('average_output')))
    const raw = (imported.model as FittedGradientBoostingClassifier).predictRaw({
      rows: 1,
      cols: 2,
      data: Float64Array.of(3, 1),
    })
    assert.equal(raw[0], 2 * 0.125)
  })

  test('a regression objective imports as identity output', () => {
    const imported = importLightgbm(tinyModel({ objective: 'huber' }))
    assert.equal(imported.task, 'regression')
    const raw = (imported.model as FittedGradientBoostingRegressor).predict({
      rows: 1,
      cols: 2,
      data: Float64Array.of(0, 0),
    })
    assert.equal(raw[0], 0.5)
  })
})

describe('importLightgbm: malformed files', () => {
  const cases: [string, string, RegExp][] = [
    ['not a model', 'hello\nworld', /first line/],
    ['truncated', tinyModel().replace('end of trees', ''), /end of trees/],
    ['bad number', tinyModel().replace('leaf_value=0.5', 'leaf_value=abc'), /leaf_value.*line 20/],
    [
      'short array',
      tinyModel().replace('left_child=-1 -2', 'left_child=-1'),
      /left_child.*1 values; expected 2/,
    ],
    ['missing field', tinyModel().replace(/^decision_type=.*$/m, ''), /Missing tree 0 field 'decision_type'/],
    ['bad feature', tinyModel().replace('split_feature=0 1', 'split_feature=0 7'), /feature 7/],
    ['cyclic children', tinyModel().replace('right_child=1 -3', 'right_child=0 -3'), /reached twice/],
    [
      'feature count',
      tinyModel().replace('feature_names=num cat', 'feature_names=num'),
      /feature_names lists 1/,
    ],
    ['no max_feature_idx', tinyModel().replace('max_feature_idx=1\n', ''), /max_feature_idx/],
    ['bad cat index', tinyModel().replace('threshold=2.5 0', 'threshold=2.5 3'), /bitset 3/],
  ]
  for (const [name, text, pattern] of cases) {
    test(name, () => {
      assert.throws(
        () => importLightgbm(text),
        (e: unknown) =>
          e instanceof LightgbmImportError &&
          (e.code === 'IMPORT_INVALID' || e.code === 'IMPORT_UNSUPPORTED') &&
          e.problem === 'IMPORT_INVALID' &&
          pattern.test(e.message),
      )
    })
  }
})
