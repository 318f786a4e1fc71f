import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fromRows, type Matrix, matrix, Rng } from '../core/index.js'
import type { TreeEnsembleView, TreeView } from '../models/estimator.js'
import {
  EvalInputError,
  InvalidTreeError,
  meanAbsShap,
  shapRow,
  treeEnsembleMargin,
  treeShap,
  treeShapReference,
} from './index.js'

interface NodeSpec {
  feature?: number
  threshold?: number
  categoriesLeft?: number[]
  defaultLeft?: boolean
  left?: NodeSpec
  right?: NodeSpec
  value?: number
  cover?: number
}

/** Flattens a nested node description into a TreeView (children after parents, covers summed). */
function buildTree(root: NodeSpec): TreeView {
  const nodes: NodeSpec[] = []
  const left: number[] = []
  const right: number[] = []
  const visit = (n: NodeSpec): number => {
    const id = nodes.length
    nodes.push(n)
    left.push(-1)
    right.push(-1)
    if (n.left !== undefined && n.right !== undefined) {
      left[id] = visit(n.left)
      right[id] = visit(n.right)
    }
    return id
  }
  visit(root)
  const coverOf = (n: NodeSpec): number =>
    n.left !== undefined && n.right !== undefined ? coverOf(n.left) + coverOf(n.right) : (n.cover ?? 1)
  return {
    feature: Int32Array.from(nodes.map((n) => n.feature ?? -1)),
    threshold: Float64Array.from(nodes.map((n) => n.threshold ?? 0)),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    defaultLeft: Uint8Array.from(nodes.map((n) => (n.defaultLeft ? 1 : 0))),
    value: Float64Array.from(nodes.map((n) => n.value ?? 0)),
    cover: Float64Array.from(nodes.map(coverOf)),
    categorical: Uint8Array.from(nodes.map((n) => (n.categoriesLeft !== undefined ? 1 : 0))),
    categoriesLeft: nodes.map((n) => n.categoriesLeft ?? null),
  }
}

function randomNode(rng: Rng, depth: number, nFeatures: number, categoricalFeature: number): NodeSpec {
  if (depth === 0 || (depth < 4 && rng.next() < 0.25)) {
    return { value: rng.normal(), cover: 1 + rng.int(50) }
  }
  const feature = rng.int(nFeatures)
  const spec: NodeSpec = {
    feature,
    defaultLeft: rng.next() < 0.5,
    left: randomNode(rng, depth - 1, nFeatures, categoricalFeature),
    right: randomNode(rng, depth - 1, nFeatures, categoricalFeature),
  }
  if (feature === categoricalFeature) spec.categoriesLeft = [0, 1, 2, 3].filter(() => rng.next() < 0.5)
  else spec.threshold = rng.normal() * 0.8
  return spec
}

function randomEnsemble(
  seed: number,
  nTrees: number,
  nOutputs: number,
  depth: number,
  nFeatures: number,
): TreeEnsembleView {
  const rng = new Rng(seed)
  return {
    nOutputs,
    baseScore: Float64Array.from({ length: nOutputs }, () => rng.normal()),
    trees: Array.from({ length: nTrees }, (_, i) => ({
      tree: buildTree(randomNode(rng, depth, nFeatures, nFeatures - 1)),
      output: i % nOutputs,
    })),
    treeWeight: rng.next() < 0.5 ? 1 : 1 / nTrees,
  }
}

function randomRows(seed: number, rows: number, nFeatures: number): Matrix {
  const rng = new Rng(seed)
  const data = new Float64Array(rows * nFeatures)
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < nFeatures; f++) {
      // last column holds categorical codes 0..4 (4 never goes left); ~10% missing everywhere
      const v = f === nFeatures - 1 ? rng.int(5) : rng.normal()
      data[r * nFeatures + f] = rng.next() < 0.1 ? Number.NaN : v
    }
  }
  return matrix(rows, nFeatures, data)
}

/** Independent reference: E[f(x) | x_S] walking the tree, absent features split by cover. */
function conditionalExpectation(tree: TreeView, x: Float64Array, inS: boolean[], node = 0): number {
  const l = tree.left[node]!
  if (l === -1) return tree.value[node]!
  const r = tree.right[node]!
  const f = tree.feature[node]!
  if (inS[f]) {
    const v = x[f]!
    let isLeft: boolean
    if (Number.isNaN(v)) isLeft = tree.defaultLeft[node] === 1
    else if (tree.categorical?.[node] === 1) isLeft = (tree.categoriesLeft?.[node] ?? []).includes(v)
    else isLeft = v <= tree.threshold[node]!
    return conditionalExpectation(tree, x, inS, isLeft ? l : r)
  }
  const cl = tree.cover[l]!
  const cr = tree.cover[r]!
  return (
    (cl * conditionalExpectation(tree, x, inS, l) + cr * conditionalExpectation(tree, x, inS, r)) / (cl + cr)
  )
}

/** Exact Shapley values by enumerating all 2^M coalitions. */
function bruteForceShap(
  ensemble: TreeEnsembleView,
  x: Float64Array,
  nFeatures: number,
  output: number,
): Float64Array {
  const value = (mask: number): number => {
    const inS = Array.from({ length: nFeatures }, (_, f) => (mask & (1 << f)) !== 0)
    let total = ensemble.baseScore[output]!
    for (const t of ensemble.trees) {
      if (t.output === output) total += ensemble.treeWeight * conditionalExpectation(t.tree, x, inS)
    }
    return total
  }
  const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1))
  const phi = new Float64Array(nFeatures)
  for (let mask = 0; mask < 1 << nFeatures; mask++) {
    const size = popcount(mask)
    const v = value(mask)
    for (let i = 0; i < nFeatures; i++) {
      if ((mask & (1 << i)) !== 0) continue
      const weight = (factorial(size) * factorial(nFeatures - size - 1)) / factorial(nFeatures)
      phi[i]! += weight * (value(mask | (1 << i)) - v)
    }
  }
  return phi
}

function popcount(n: number): number {
  let c = 0
  for (let m = n; m !== 0; m &= m - 1) c++
  return c
}

describe('treeShap', () => {
  it('hand-built stump: attribution is leaf minus cover-weighted mean', () => {
    const tree = buildTree({
      feature: 0,
      threshold: 0.5,
      left: { value: 1, cover: 60 },
      right: { value: 3, cover: 40 },
    })
    const ens: TreeEnsembleView = {
      nOutputs: 1,
      baseScore: Float64Array.of(0.25),
      trees: [{ tree, output: 0 }],
      treeWeight: 1,
    }
    const shap = treeShap(
      ens,
      fromRows([
        [0, 9],
        [1, 9],
        [Number.NaN, 9],
      ]),
    )
    assert.ok(Math.abs(shap.expectedValue[0]! - (0.25 + 1.8)) < 1e-12)
    assert.ok(Math.abs(shapRow(shap, 0)[0]! - -0.8) < 1e-12)
    assert.ok(Math.abs(shapRow(shap, 1)[0]! - 1.2) < 1e-12)
    // missing goes right (defaultLeft 0)
    assert.ok(Math.abs(shapRow(shap, 2)[0]! - 1.2) < 1e-12)
    assert.equal(shapRow(shap, 0)[1], 0)
  })

  it('hand-built AND tree: the interaction is split equally (paper example)', () => {
    // f = 1 only when x0 > 0.5 and x1 > 0.5; uniform covers
    const tree = buildTree({
      feature: 0,
      threshold: 0.5,
      left: { value: 0, cover: 2 },
      right: { feature: 1, threshold: 0.5, left: { value: 0, cover: 1 }, right: { value: 1, cover: 1 } },
    })
    const ens: TreeEnsembleView = {
      nOutputs: 1,
      baseScore: Float64Array.of(0),
      trees: [{ tree, output: 0 }],
      treeWeight: 1,
    }
    const shap = treeShap(ens, fromRows([[1, 1]]))
    assert.ok(Math.abs(shap.expectedValue[0]! - 0.25) < 1e-12)
    assert.ok(Math.abs(shapRow(shap, 0)[0]! - 0.375) < 1e-12)
    assert.ok(Math.abs(shapRow(shap, 0)[1]! - 0.375) < 1e-12)
  })

  it('categorical split routes by the left-set and missing by default direction', () => {
    const tree = buildTree({
      feature: 0,
      categoriesLeft: [1, 3],
      defaultLeft: true,
      left: { value: -2, cover: 30 },
      right: { value: 2, cover: 10 },
    })
    const ens: TreeEnsembleView = {
      nOutputs: 1,
      baseScore: Float64Array.of(0),
      trees: [{ tree, output: 0 }],
      treeWeight: 1,
    }
    const x = fromRows([[1], [2], [Number.NaN]])
    const margin = treeEnsembleMargin(ens, x)
    assert.deepEqual(Array.from(margin), [-2, 2, -2])
    const shap = treeShap(ens, x)
    assert.ok(Math.abs(shap.expectedValue[0]! - -1) < 1e-12)
    assert.ok(Math.abs(shapRow(shap, 1)[0]! - 3) < 1e-12)
  })

  it('additivity on random ensembles: SHAP sum + expected value = raw margin', () => {
    for (const [seed, nOutputs] of [
      [1, 1],
      [2, 3],
      [3, 1],
    ] as const) {
      const nFeatures = 8
      const ens = randomEnsemble(seed, 12, nOutputs, 7, nFeatures)
      const x = randomRows(seed + 100, 40, nFeatures)
      const shap = treeShap(ens, x)
      const margin = treeEnsembleMargin(ens, x)
      for (let r = 0; r < x.rows; r++) {
        for (let o = 0; o < nOutputs; o++) {
          const sum = shapRow(shap, r, o).reduce((a, b) => a + b, shap.expectedValue[o]!)
          const expected = margin[r * nOutputs + o]!
          assert.ok(
            Math.abs(sum - expected) < 1e-9,
            `seed ${seed} row ${r} output ${o}: ${sum} vs ${expected}`,
          )
        }
      }
    }
  })

  it('agrees with brute-force Shapley enumeration on small random trees', () => {
    for (let seed = 10; seed < 16; seed++) {
      const nFeatures = 5
      const ens = randomEnsemble(seed, 3, 2, 5, nFeatures)
      const x = randomRows(seed + 7, 6, nFeatures)
      const shap = treeShap(ens, x)
      for (let r = 0; r < x.rows; r++) {
        const row = x.data.subarray(r * nFeatures, (r + 1) * nFeatures)
        for (let o = 0; o < 2; o++) {
          const expected = bruteForceShap(ens, row, nFeatures, o)
          const got = shapRow(shap, r, o)
          for (let f = 0; f < nFeatures; f++) {
            assert.ok(
              Math.abs(got[f]! - expected[f]!) < 1e-9,
              `seed ${seed} row ${r} output ${o} feature ${f}: ${got[f]} vs brute force ${expected[f]}`,
            )
          }
        }
      }
    }
  })

  it('global mean |SHAP| is zero for unused features and positive for used ones', () => {
    const tree = buildTree({
      feature: 1,
      threshold: 0,
      left: { value: -1, cover: 5 },
      right: { value: 1, cover: 5 },
    })
    const ens: TreeEnsembleView = {
      nOutputs: 1,
      baseScore: Float64Array.of(0),
      trees: [{ tree, output: 0 }],
      treeWeight: 1,
    }
    const global = meanAbsShap(treeShap(ens, randomRows(5, 20, 3)))
    assert.equal(global[0], 0)
    assert.ok(global[1]! > 0)
    assert.equal(global[2], 0)
  })

  it('rejects trees that split on missing columns or have bad child indices', () => {
    const tree = buildTree({ feature: 4, threshold: 0, left: { value: 0 }, right: { value: 1 } })
    const ens: TreeEnsembleView = {
      nOutputs: 1,
      baseScore: Float64Array.of(0),
      trees: [{ tree, output: 0 }],
      treeWeight: 1,
    }
    assert.throws(() => treeShap(ens, fromRows([[1, 2]])), EvalInputError)
    const bad: TreeView = { ...tree, feature: Int32Array.of(0, -1, -1), left: Int32Array.of(0, -1, -1) }
    assert.throws(
      () => treeShap({ ...ens, trees: [{ tree: bad, output: 0 }] }, fromRows([[1, 2]])),
      InvalidTreeError,
    )
  })

  it('reuses prepared trees per view: identical values, and a narrower x is still rejected', () => {
    const nFeatures = 6
    const ens = randomEnsemble(21, 10, 2, 6, nFeatures)
    const x = randomRows(22, 15, nFeatures)
    const first = treeShap(ens, x)
    // the second call on the same view takes the prepared trees from the cache
    const again = treeShap(ens, x)
    assert.deepEqual(again.values, first.values)
    assert.deepEqual(again.expectedValue, first.expectedValue)
    // a fresh copy of the view is prepared anew and must agree bit for bit
    const fresh = treeShap({ ...ens, trees: [...ens.trees] }, x)
    assert.deepEqual(fresh.values, first.values)
    const narrow = matrix(1, 1, Float64Array.of(0))
    assert.throws(() => treeShap(ens, narrow), EvalInputError)
  })

  it('routes categorical splits the same with short (scanned) and long (Set) left-sets', () => {
    for (const cats of [
      [3, 7],
      [0, 2, 4, 6, 8, 10, 12, 14, 16, 18],
    ]) {
      const tree = buildTree({ feature: 0, categoriesLeft: cats, left: { value: -1 }, right: { value: 1 } })
      const ens: TreeEnsembleView = {
        nOutputs: 1,
        baseScore: Float64Array.of(0),
        trees: [{ tree, output: 0 }],
        treeWeight: 1,
      }
      const values = Array.from({ length: 20 }, (_, i) => i)
      const margin = treeEnsembleMargin(ens, fromRows(values.map((v) => [v])))
      for (const v of values) {
        assert.equal(margin[v], cats.includes(v) ? -1 : 1, `categories ${cats} value ${v}`)
      }
    }
  })
})

/** Builds a random tree of exactly `depth` levels along one spine (a deep, unbalanced tree). */
function deepSpine(rng: Rng, depth: number, nFeatures: number, zeroCoverShare: number): NodeSpec {
  if (depth === 0) return { value: rng.normal(), cover: rng.next() < zeroCoverShare ? 0 : 1 + rng.int(20) }
  const leafSide = { value: rng.normal(), cover: rng.next() < zeroCoverShare ? 0 : 1 + rng.int(20) }
  const rest = deepSpine(rng, depth - 1, nFeatures, zeroCoverShare)
  const goLeft = rng.next() < 0.5
  return {
    feature: rng.int(nFeatures - 1),
    threshold: rng.normal() * 0.5,
    defaultLeft: rng.next() < 0.5,
    left: goLeft ? rest : leafSide,
    right: goLeft ? leafSide : rest,
  }
}

function assertSameShap(
  got: ReturnType<typeof treeShap>,
  want: ReturnType<typeof treeShap>,
  label: string,
): void {
  assert.equal(got.rows, want.rows)
  assert.deepEqual(Array.from(got.expectedValue), Array.from(want.expectedValue))
  let scale = 1e-12
  for (const v of want.values) scale = Math.max(scale, Math.abs(v))
  for (let i = 0; i < want.values.length; i++) {
    assert.ok(
      Math.abs(got.values[i]! - want.values[i]!) <= 1e-9 * scale,
      `${label} value ${i}: ${got.values[i]} vs reference ${want.values[i]}`,
    )
  }
}

describe('treeShap (linear-time) against the published Algorithm 2', () => {
  it('matches treeShapReference on random ensembles, multi-output, categorical and missing', () => {
    for (let seed = 30; seed < 40; seed++) {
      const nFeatures = 3 + (seed % 7)
      const nOutputs = 1 + (seed % 3)
      const ens = randomEnsemble(seed, 6, nOutputs, 3 + (seed % 6), nFeatures)
      const x = randomRows(seed + 50, 25, nFeatures)
      assertSameShap(treeShap(ens, x), treeShapReference(ens, x), `seed ${seed}`)
    }
  })

  it('matches on deep trees (depth 40, features repeated along the path)', () => {
    for (let seed = 60; seed < 66; seed++) {
      const rng = new Rng(seed)
      const nFeatures = seed % 2 === 0 ? 6 : 30
      const trees = Array.from({ length: 4 }, () => ({
        tree: buildTree(deepSpine(rng, 40, nFeatures, 0)),
        output: 0,
      }))
      const ens: TreeEnsembleView = { nOutputs: 1, baseScore: Float64Array.of(0.5), trees, treeWeight: 0.25 }
      const x = randomRows(seed + 3, 20, nFeatures)
      const shap = treeShap(ens, x)
      assertSameShap(shap, treeShapReference(ens, x), `deep seed ${seed}`)
      const margin = treeEnsembleMargin(ens, x)
      for (let r = 0; r < x.rows; r++) {
        const sum = shapRow(shap, r).reduce((a, b) => a + b, shap.expectedValue[0]!)
        assert.ok(Math.abs(sum - margin[r]!) < 1e-9, `deep seed ${seed} row ${r}: ${sum} vs ${margin[r]}`)
      }
    }
  })

  it('stays exact where a leaf has zero cover (Algorithm 2 returns NaN there)', () => {
    for (let seed = 70; seed < 74; seed++) {
      const rng = new Rng(seed)
      const nFeatures = 6
      const spine = deepSpine(rng, 25, nFeatures, 0.3)
      // the deepest leaf keeps a positive cover, so every split has some cover and E[f] is defined
      let n = spine
      while (n.left !== undefined && n.right !== undefined) n = n.left.left !== undefined ? n.left : n.right
      n.cover = 3
      const ens: TreeEnsembleView = {
        nOutputs: 1,
        baseScore: Float64Array.of(0),
        trees: [{ tree: buildTree(spine), output: 0 }],
        treeWeight: 1,
      }
      const x = randomRows(seed + 9, 8, nFeatures)
      const shap = treeShap(ens, x)
      for (let r = 0; r < x.rows; r++) {
        const expected = bruteForceShap(
          ens,
          x.data.subarray(r * nFeatures, (r + 1) * nFeatures),
          nFeatures,
          0,
        )
        const got = shapRow(shap, r)
        for (let f = 0; f < nFeatures; f++) {
          assert.ok(
            Math.abs(got[f]! - expected[f]!) < 1e-9,
            `zero-cover seed ${seed} row ${r} feature ${f}: ${got[f]} vs brute force ${expected[f]}`,
          )
        }
      }
    }
  })

  it('a past deadline stops after the first row and says so', () => {
    const ens = randomEnsemble(5, 4, 1, 6, 5)
    const x = randomRows(6, 30, 5)
    const full = treeShap(ens, x)
    const cut = treeShap(ens, x, { deadlineMs: 0 })
    assert.equal(cut.rows, 1)
    assert.equal(cut.truncated, true)
    assert.equal(full.truncated, undefined)
    assert.deepEqual(Array.from(cut.values), Array.from(full.values.subarray(0, 5)))
  })

  it('minRows: explains no row when the first row projects far fewer before the deadline', (t) => {
    // 100 trees of depth 14 over 30 features: a row costs a few hundred ms, so far fewer than a
    // quarter of 60 rows fit 1 s; the projection decides from 100 ms on, within the first 250 ms.
    const ens = randomEnsemble(40, 100, 1, 14, 30)
    const x = randomRows(9, 100, 30)
    // Prepared trees are kept per view: the budget below is spent on rows, not on preparing them
    // (on a loaded machine that alone could take a quarter of it).
    treeShap(ens, randomRows(9, 1, 30))
    const started = performance.now()
    const skipped = treeShap(ens, x, { deadlineMs: started + 1000, minRows: 60 })
    assert.equal(skipped.rows, 0)
    assert.equal(skipped.truncated, true)
    assert.ok(skipped.projectedRowSeconds! > 0)
    t.diagnostic(
      `projected ${(skipped.projectedRowSeconds! * 1000).toFixed(0)} ms a row, stopped after ${(performance.now() - started).toFixed(0)} ms`,
    )
    // Without minRows the same deadline still explains at least the first row.
    const cut = treeShap(ens, x, { deadlineMs: performance.now() + 300 })
    assert.ok(cut.rows >= 1)
    assert.equal(cut.projectedRowSeconds, undefined)
    // A budget that fits minRows explains every row it can, projection or not.
    const small = randomRows(9, 3, 30)
    const all = treeShap(ens, small, { deadlineMs: performance.now() + 60_000, minRows: 3 })
    assert.equal(all.rows, 3)
    assert.equal(all.truncated, undefined)
  })
})
