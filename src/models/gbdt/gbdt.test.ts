import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Matrix } from '../../core/index.js'
import { Rng } from '../../core/index.js'
import type { TreeView } from '../estimator.js'
import { loadModel } from '../load.js'
import { binMatrix, fitBinMapper } from '../tree/index.js'
import { HESSIAN_HIST_STRIDE, HIST_STRIDE, type HistStride } from './histogram.js'
import {
  DEFAULT_GBDT_CLASSIFIER_PARAMS,
  FittedGradientBoostingClassifier,
  FittedGradientBoostingRegressor,
  GradientBoostingClassifier,
  GradientBoostingRegressor,
} from './index.js'
import { HESSIAN_COUNTS_MIN_ROWS, usesHessianCounts } from './params.js'
import { leafScore } from './split-finder.js'

/** Synthetic data: a nonlinear signal on the first columns, noise on the rest, some NaN. */
function makeData(
  rows: number,
  cols: number,
  seed: number,
  task: 'binary' | 'regression' | 'multiclass' = 'binary',
) {
  const rng = new Rng(seed)
  const data = new Float64Array(rows * cols)
  const y = new Float64Array(rows)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) data[r * cols + c] = rng.normal()
    if (cols > 2 && rng.next() < 0.05) data[r * cols + 2] = Number.NaN
    const a = data[r * cols]!
    const b = data[r * cols + 1]!
    const z = 1.5 * a - b * b + (a > 0.5 ? 1 : 0) + 0.5 * rng.normal()
    if (task === 'regression') y[r] = 3 * z + 10
    else if (task === 'binary') y[r] = z > 0 ? 1 : 0
    else y[r] = z < -0.7 ? 0 : z < 0.7 ? 1 : 2
  }
  return { x: { rows, cols, data } as Matrix, y }
}

function column(x: Matrix, c: number): Float64Array {
  return Float64Array.from({ length: x.rows }, (_, r) => x.data[r * x.cols + c]!)
}

/** Walks a TreeView as TreeSHAP would. */
function walk(tree: TreeView, row: Float64Array): number {
  let node = 0
  while (tree.left[node] !== -1) {
    const v = row[tree.feature[node]!]!
    let goLeft: boolean
    if (Number.isNaN(v)) goLeft = tree.defaultLeft[node] === 1
    else if (tree.categorical?.[node] === 1) goLeft = tree.categoriesLeft![node]!.includes(v)
    else goLeft = v <= tree.threshold[node]!
    node = goLeft ? tree.left[node]! : tree.right[node]!
  }
  return tree.value[node]!
}

const roundTrip = (a: unknown) => loadModel(JSON.parse(JSON.stringify(a)))

/**
 * Runs `f` with KEEL_NO_WASM=1, so the models it loads or fits take the JavaScript paths (the
 * scorer is chosen on a model's first use, so that use belongs in `f`).
 */
async function withoutWasm<T>(f: () => T | Promise<T>): Promise<T> {
  process.env.KEEL_NO_WASM = '1'
  try {
    return await f()
  } finally {
    delete process.env.KEEL_NO_WASM
  }
}

describe('GradientBoostingClassifier', () => {
  it('save/load gives identical predictions (binary, multiclass, regression)', async () => {
    const bin = makeData(600, 5, 1)
    const cls = await new GradientBoostingClassifier({ nEstimators: 20, seed: 3 }).fit(bin.x, bin.y)
    const back = roundTrip(cls.toArtifact())
    assert.ok(back instanceof FittedGradientBoostingClassifier)
    assert.deepEqual(back.predictProba(bin.x).data, cls.predictProba(bin.x).data)
    assert.deepEqual(back.featureImportance('gain'), cls.featureImportance('gain'))

    const multi = makeData(600, 5, 2, 'multiclass')
    const mc = await new GradientBoostingClassifier({ nEstimators: 15 }).fit(multi.x, multi.y)
    assert.equal(mc.task, 'multiclass')
    const mcBack = roundTrip(mc.toArtifact()) as FittedGradientBoostingClassifier
    assert.deepEqual(mcBack.predictProba(multi.x).data, mc.predictProba(multi.x).data)
    const proba = mc.predictProba(multi.x)
    for (let r = 0; r < proba.rows; r++) {
      const s = proba.data[r * 3]! + proba.data[r * 3 + 1]! + proba.data[r * 3 + 2]!
      assert.ok(Math.abs(s - 1) < 1e-12)
    }

    const reg = makeData(600, 5, 3, 'regression')
    const rm = await new GradientBoostingRegressor({ nEstimators: 20 }).fit(reg.x, reg.y)
    const rmBack = roundTrip(rm.toArtifact())
    assert.ok(rmBack instanceof FittedGradientBoostingRegressor)
    assert.deepEqual(rmBack.predict(reg.x), rm.predict(reg.x))
  })

  it('same data and seed give a byte-identical artifact; another seed differs', async () => {
    const { x, y } = makeData(500, 6, 4)
    const params = { nEstimators: 15, subsample: 0.7, colsample: 0.6, seed: 11 }
    const a = JSON.stringify((await new GradientBoostingClassifier(params).fit(x, y)).toArtifact())
    const b = JSON.stringify((await new GradientBoostingClassifier(params).fit(x, y)).toArtifact())
    assert.equal(a, b)
    const c = JSON.stringify(
      (await new GradientBoostingClassifier({ ...params, seed: 12 }).fit(x, y)).toArtifact(),
    )
    assert.notEqual(a, c)
  })

  it('training loss decreases monotonically', async () => {
    for (const task of ['binary', 'multiclass', 'regression'] as const) {
      const { x, y } = makeData(400, 4, 5, task)
      const losses: number[] = []
      const est =
        task === 'regression'
          ? new GradientBoostingRegressor({ nEstimators: 30, earlyStopping: false })
          : new GradientBoostingClassifier({ nEstimators: 30, earlyStopping: false })
      await est.fit(x, y, { onIteration: (info) => losses.push(info.trainLoss) })
      assert.equal(losses.length, 30)
      for (let i = 1; i < losses.length; i++)
        assert.ok(losses[i]! <= losses[i - 1]! + 1e-12, `${task} round ${i}`)
      assert.ok(losses[29]! < losses[0]! * 0.9)
    }
  })

  it('on large data the reported training loss is a close sample estimate of the full loss', async () => {
    const { x, y } = makeData(70_000, 3, 44)
    const losses: number[] = []
    const model = await new GradientBoostingClassifier({ nEstimators: 3, threads: 1 }).fit(x, y, {
      onIteration: (info) => losses.push(info.trainLoss),
    })
    const raw = model.predictRaw(x)
    let full = 0
    for (let r = 0; r < x.rows; r++) {
      const f = raw[r]!
      full += (f > 0 ? f + Math.log1p(Math.exp(-f)) : Math.log1p(Math.exp(f))) - y[r]! * f
    }
    full /= x.rows
    assert.equal(losses.length, 3)
    assert.ok(losses[2]! < losses[0]!, `loss decreases: ${losses}`)
    assert.ok(Math.abs(losses[2]! - full) < 0.02 * full, `sample ${losses[2]} vs full ${full}`)
  })

  it("a depth-1 tree's split agrees exactly with a brute-force search over bins", async () => {
    const { x, y } = makeData(300, 4, 6)
    const model = await new GradientBoostingClassifier({
      nEstimators: 1,
      maxLeaves: 2,
      minSamplesLeaf: 1,
      minChildWeight: 0,
    }).fit(x, y)
    const tree = model.treeEnsemble().trees[0]!.tree
    // Brute force: gradients at the base score, every feature, every bin, both missing sides.
    const mapper = fitBinMapper(x, 255, new Set(), [], 0)
    const bins = binMatrix(x, mapper)
    const mean = y.reduce((s, v) => s + v, 0) / y.length
    const p0 = 1 / (1 + Math.exp(-Math.log(mean / (1 - mean))))
    const g = Float64Array.from(y, (v) => p0 - v)
    const h = new Float64Array(y.length).fill(p0 * (1 - p0))
    let G = 0
    let H = 0
    for (let r = 0; r < y.length; r++) {
      G += g[r]!
      H += h[r]!
    }
    let best = { gain: 0, feature: -1, threshold: 0 }
    for (let f = 0; f < x.cols; f++) {
      const nb = mapper.nBins[f]!
      for (const missingLeft of [false, true]) {
        for (let b = 0; b < nb; b++) {
          let lg = 0
          let lh = 0
          let lc = 0
          for (let r = 0; r < y.length; r++) {
            const bin = bins[f * y.length + r]!
            if (bin <= b && bin < nb ? true : bin === nb && missingLeft) {
              lg += g[r]!
              lh += h[r]!
              lc++
            }
          }
          if (lc === 0 || lc === y.length) continue
          const gain = leafScore(lg, lh, 0, 0) + leafScore(G - lg, H - lh, 0, 0) - leafScore(G, H, 0, 0)
          if (gain > best.gain + 1e-9) {
            best = {
              gain,
              feature: f,
              threshold: b < nb - 1 ? mapper.thresholds[f]![b]! : Number.POSITIVE_INFINITY,
            }
          }
        }
      }
    }
    assert.equal(tree.feature[0], best.feature)
    assert.equal(tree.threshold[0], best.threshold)
  })

  it('predictions are invariant to column order', async () => {
    const { x, y } = makeData(500, 5, 7)
    const names = ['a', 'b', 'c', 'd', 'e']
    const perm = [3, 0, 4, 2, 1]
    const px: Matrix = {
      rows: x.rows,
      cols: x.cols,
      data: Float64Array.from(
        { length: x.data.length },
        (_, i) => x.data[Math.floor(i / 5) * 5 + perm[i % 5]!]!,
      ),
    }
    const m1 = await new GradientBoostingClassifier({ nEstimators: 25 }).fit(x, y, { featureNames: names })
    const m2 = await new GradientBoostingClassifier({ nEstimators: 25 }).fit(px, y, {
      featureNames: perm.map((c) => names[c]!),
    })
    // Equal up to rounding: when two columns induce the same partition of a small node, their
    // gains tie and the float sums behind them differ only in the last bits.
    const p1 = m1.predictProba(x).data
    const p2 = m2.predictProba(px).data
    for (let i = 0; i < p1.length; i++) assert.ok(Math.abs(p1[i]! - p2[i]!) < 1e-9, `row ${i >> 1}`)
    const imp1 = m1.featureImportance('gain')
    const imp2 = m2.featureImportance('gain')
    for (const [j, c] of perm.entries()) assert.ok(Math.abs(imp2[j]! - imp1[c]!) <= 1e-6 * imp1[c]! + 1e-9)
  })

  it('routes missing values by the learned default direction', async () => {
    const rng = new Rng(8)
    const rows = 800
    const data = new Float64Array(rows * 2)
    const y = new Float64Array(rows)
    for (let r = 0; r < rows; r++) {
      const isMissing = rng.next() < 0.3
      const v = rng.next()
      data[r * 2] = isMissing ? Number.NaN : v
      data[r * 2 + 1] = rng.normal()
      // Missing behaves like a high value.
      y[r] = isMissing || v > 0.7 ? 1 : 0
    }
    const x = { rows, cols: 2, data }
    const model = await new GradientBoostingClassifier({ nEstimators: 30 }).fit(x, y)
    const probe = { rows: 3, cols: 2, data: Float64Array.of(Number.NaN, 0, 0.1, 0, 0.9, 0) }
    const p = model.predictProba(probe).data
    assert.ok(p[1]! > 0.9, `NaN row: ${p[1]}`)
    assert.ok(p[3]! < 0.1, `low row: ${p[3]}`)
    assert.ok(p[5]! > 0.9, `high row: ${p[5]}`)
    // A feature never missing at fit time still accepts NaN at predict time.
    const q = model.predictProba({ rows: 1, cols: 2, data: Float64Array.of(0.9, Number.NaN) }).data
    assert.ok(q[1]! > 0.9)
  })

  it('finds a planted categorical signal with native categorical splits', async () => {
    const rng = new Rng(9)
    const rows = 1000
    const data = new Float64Array(rows * 2)
    const y = new Float64Array(rows)
    const positive = new Set([1, 4, 7, 8])
    for (let r = 0; r < rows; r++) {
      const code = rng.int(10)
      data[r * 2] = code
      data[r * 2 + 1] = rng.normal()
      y[r] = positive.has(code) ? 1 : 0
    }
    const x = { rows, cols: 2, data }
    const model = await new GradientBoostingClassifier({ nEstimators: 1, maxLeaves: 2, learningRate: 1 }).fit(
      x,
      y,
      {
        categoricalFeatures: [0],
      },
    )
    const tree = model.treeEnsemble().trees[0]!.tree
    assert.equal(tree.categorical?.[0], 1)
    const left = [...tree.categoriesLeft![0]!].sort((a, b) => a - b)
    const complement = [0, 2, 3, 5, 6, 9]
    assert.ok(
      JSON.stringify(left) === JSON.stringify([...positive].sort()) ||
        JSON.stringify(left) === JSON.stringify(complement),
      `left set ${left}`,
    )
    const pred = model.predict(x)
    let correct = 0
    for (let r = 0; r < rows; r++) correct += pred[r] === y[r] ? 1 : 0
    assert.equal(correct, rows)
    // Codes never seen at fit time go right instead of failing.
    assert.equal(model.predict({ rows: 1, cols: 2, data: Float64Array.of(42, 0) }).length, 1)
  })

  it('many-vs-many splits order only levels with minRowsPerCatLevel rows in the node', async () => {
    // Levels 0-9: 60 rows each, half of them mostly positive. Levels 10-29: 15 rows each, all
    // positive (10-19) or all negative (20-29), so they sit at both ends of the gradient order.
    const rng = new Rng(21)
    const codes: number[] = []
    for (let l = 0; l < 30; l++) for (let i = 0; i < (l < 10 ? 60 : 15); i++) codes.push(l)
    const rows = codes.length
    const data = Float64Array.from(codes)
    const y = Float64Array.from(codes, (l) =>
      l >= 20 ? 0 : l >= 10 ? 1 : rng.next() < (l < 5 ? 0.8 : 0.2) ? 1 : 0,
    )
    const rootLeft = async (minRowsPerCatLevel: number): Promise<readonly number[]> => {
      const model = await new GradientBoostingClassifier({
        nEstimators: 1,
        maxLeaves: 2,
        maxCatThreshold: 64,
        earlyStopping: false,
        minRowsPerCatLevel,
      }).fit({ rows, cols: 1, data }, y, { categoricalFeatures: [0] })
      const tree = model.treeEnsemble().trees[0]!.tree
      assert.equal(tree.categorical?.[0], 1)
      return tree.categoriesLeft![0]!
    }
    // Off (catSmooth's 10 rows only), the left prefix starts at one end of the order: rare levels.
    assert.ok(
      (await rootLeft(0)).some((l) => l >= 10),
      'rare levels take part without the rule',
    )
    const left = await rootLeft(30)
    assert.ok(left.length > 0 && left.every((l) => l < 10), `left set ${left}: only levels with 30+ rows`)
  })

  it('multi-threaded training equals single-threaded training', async () => {
    // 16k x 26 cells is above the threshold where workers start.
    const { x, y } = makeData(16_000, 26, 10)
    const params = { nEstimators: 4, maxLeaves: 15, colsample: 0.8 }
    const one = await new GradientBoostingClassifier({ ...params, threads: 1 }).fit(x, y)
    const two = await new GradientBoostingClassifier({ ...params, threads: 2 }).fit(x, y)
    assert.deepEqual(
      JSON.stringify((two.toArtifact() as { state: unknown }).state),
      JSON.stringify((one.toArtifact() as { state: unknown }).state),
    )
    assert.deepEqual(two.predictProba(x).data, one.predictProba(x).data)
  })

  it('multi-threaded training equals single-threaded training where nodes are partitioned by two threads', async () => {
    // 40k rows: the root and its children from 8,192 rows up are partitioned from both ends by two threads
    // (partition.ts); with and without a row sample, over 2 and 3 threads.
    // Histograms with and without counts (the latter counts each split's left rows first).
    const { x, y } = makeData(40_000, 12, 11)
    for (const [subsample, histogramCounts] of [
      [1, 'exact'],
      [0.9, 'exact'],
      [1, 'hessian'],
      [0.9, 'hessian'],
    ] as const) {
      const params = { nEstimators: 3, maxLeaves: 15, subsample, histogramCounts }
      const one = await new GradientBoostingClassifier({ ...params, threads: 1 }).fit(x, y)
      const expected = JSON.stringify((one.toArtifact() as { state: unknown }).state)
      for (const threads of [2, 3]) {
        const many = await new GradientBoostingClassifier({ ...params, threads }).fit(x, y)
        assert.equal(
          JSON.stringify((many.toArtifact() as { state: unknown }).state),
          expected,
          `subsample ${subsample}, ${histogramCounts} counts, ${threads} threads`,
        )
      }
    }
  })

  it('regression: the score pass split over threads gives the single-threaded model', async () => {
    // 40k rows x 12 (workers from 400k cells): each round's score update and gradients run on
    // every thread (round.ts).
    const { x, y } = makeData(40_000, 12, 17, 'regression')
    for (const loss of ['squared-error', 'absolute-error', 'huber'] as const) {
      const params = { nEstimators: 3, maxLeaves: 15, loss, earlyStopping: false }
      const one = await new GradientBoostingRegressor({ ...params, threads: 1 }).fit(x, y)
      const two = await new GradientBoostingRegressor({ ...params, threads: 2 }).fit(x, y)
      assert.equal(
        JSON.stringify((two.toArtifact() as { state: unknown }).state),
        JSON.stringify((one.toArtifact() as { state: unknown }).state),
        loss,
      )
    }
  })

  it('scores large batches on worker threads exactly as in-process', async () => {
    const { x, y } = makeData(25_000, 3, 21)
    const model = await new GradientBoostingClassifier({ nEstimators: 5, threads: 2 }).fit(x, y)
    const raw = model.predictRaw(x)
    const out = new Float64Array(1)
    for (let r = 0; r < x.rows; r++) {
      model.predictRowRaw(x.data, out, r * x.cols)
      if (out[0] !== raw[r]) assert.fail(`row ${r}: ${out[0]} vs ${raw[r]}`)
    }
  })

  it("the WebAssembly scorer gives the JavaScript walk's margins bit for bit", async () => {
    // Numeric splits with NaN in column 2; an odd row count, so the kernel's row pairs leave a
    // single row in the last block.
    const { x, y } = makeData(2999, 5, 52)
    const model = await new GradientBoostingClassifier({ nEstimators: 37, maxLeaves: 40 }).fit(x, y)
    const artifact = JSON.stringify(model.toArtifact())
    const fast = loadModel(JSON.parse(artifact)) as FittedGradientBoostingClassifier
    const { plain, plainRaw } = await withoutWasm(() => {
      const plain = loadModel(JSON.parse(artifact)) as FittedGradientBoostingClassifier
      return { plain, plainRaw: plain.predictRaw(x) } // the scorer is chosen on first use
    })
    const fastRaw = fast.predictRaw(x)
    const a = new Float64Array(1)
    const b = new Float64Array(1)
    for (let r = 0; r < x.rows; r++) {
      if (fastRaw[r] !== plainRaw[r]) assert.fail(`row ${r}: batch ${fastRaw[r]} vs ${plainRaw[r]}`)
      fast.predictRowRaw(x.data, a, r * x.cols)
      plain.predictRowRaw(x.data, b, r * x.cols)
      if (a[0] !== b[0] || a[0] !== plainRaw[r]) assert.fail(`row ${r}: single ${a[0]} vs ${b[0]}`)
    }
  })

  it('the WebAssembly scorer handles categorical splits and multiclass as the JavaScript walk does, bit for bit', async () => {
    const rng = new Rng(41)
    const rows = 1201
    const cols = 3
    const data = new Float64Array(rows * cols)
    const y = new Float64Array(rows)
    for (let r = 0; r < rows; r++) {
      data[r * cols] = rng.int(40)
      data[r * cols + 1] = rng.next() < 0.1 ? Number.NaN : rng.normal()
      data[r * cols + 2] = rng.next() < 0.1 ? Number.NaN : rng.int(5)
      const z = (data[r * cols]! % 7) - 3 + data[r * cols + 1]! * 0.5 + (data[r * cols + 2] === 2 ? 1 : 0)
      y[r] = z > 0 ? 1 : 0
    }
    const x = { rows, cols, data }
    // Unseen codes (45, -1, 2.5, 300, 1e10, +Inf), NaN and -0 in the categorical columns at scoring time.
    const probe = new Float64Array(data)
    const odd = [45, -1, 2.5, 300, 1e10, Number.NaN, -0, Number.POSITIVE_INFINITY]
    for (let r = 0; r < rows; r += 5) {
      probe[r * cols] = odd[(r / 5) % odd.length]!
      probe[r * cols + 2] = odd[(r / 5 + 3) % odd.length]!
    }
    const px = { rows, cols, data: probe }
    const multi = Float64Array.from(y, (v, r) => v + (data[r * cols]! % 3 === 0 ? 1 : 0))
    for (const [target, K] of [
      [y, 1],
      [multi, 3],
    ] as const) {
      const model = await new GradientBoostingClassifier({
        nEstimators: 23,
        maxCatToOnehot: 0,
        catSmooth: 1,
      }).fit(x, target, { categoricalFeatures: [0, 2] })
      const artifact = JSON.stringify(model.toArtifact())
      const fast = loadModel(JSON.parse(artifact)) as FittedGradientBoostingClassifier
      const plainRaw = await withoutWasm(() =>
        (loadModel(JSON.parse(artifact)) as FittedGradientBoostingClassifier).predictRaw(px),
      )
      const fastRaw = fast.predictRaw(px)
      const a = new Float64Array(K)
      for (let r = 0; r < rows; r++) {
        fast.predictRowRaw(probe, a, r * cols)
        for (let k = 0; k < K; k++) {
          const i = r * K + k
          if (fastRaw[i] !== plainRaw[i])
            assert.fail(`${K} outputs, row ${r}: batch ${fastRaw[i]} vs ${plainRaw[i]}`)
          if (a[k] !== plainRaw[i]) assert.fail(`${K} outputs, row ${r}: single ${a[k]} vs ${plainRaw[i]}`)
        }
      }
      assert.ok(
        fast.treeEnsemble().trees.some((t) => t.tree.categorical?.some((c) => c === 1)),
        `${K} outputs: the model has categorical splits`,
      )
    }
  })

  it('treeEnsemble margins equal predictRaw', async () => {
    const rng = new Rng(12)
    const rows = 400
    const data = new Float64Array(rows * 3)
    const y = new Float64Array(rows)
    for (let r = 0; r < rows; r++) {
      data[r * 3] = rng.int(6)
      data[r * 3 + 1] = rng.next() < 0.1 ? Number.NaN : rng.normal()
      data[r * 3 + 2] = rng.normal()
      y[r] = (data[r * 3]! % 2 === 0 ? 1 : -1) + data[r * 3 + 2]! + 0.3 * rng.normal() > 0 ? 1 : 0
    }
    const x = { rows, cols: 3, data }
    const model = await new GradientBoostingClassifier({
      nEstimators: 10,
      maxCatToOnehot: 0,
      catSmooth: 1,
    }).fit(x, y, {
      categoricalFeatures: [0],
    })
    const view = model.treeEnsemble()
    const raw = model.predictRaw(x)
    for (let r = 0; r < rows; r++) {
      const row = x.data.subarray(r * 3, r * 3 + 3)
      let m = view.baseScore[0]!
      for (const t of view.trees) m += walk(t.tree, row)
      assert.ok(Math.abs(m - raw[r]!) < 1e-9, `row ${r}: walk ${m} vs predictRaw ${raw[r]}`)
      const out = new Float64Array(1)
      model.predictRowRaw(x.data, out, r * 3)
      assert.equal(out[0], raw[r])
    }
    assert.ok(view.trees.some((t) => t.tree.categorical?.some((c) => c === 1)))
  })

  it('packed scorer equals a plain tree walk: NaN both ways, categorical, unseen codes, multiclass', async () => {
    const rng = new Rng(31)
    const rows = 1500
    const cols = 4
    const data = new Float64Array(rows * cols)
    const y = new Float64Array(rows)
    for (let r = 0; r < rows; r++) {
      data[r * cols] = rng.int(8)
      data[r * cols + 1] = rng.next() < 0.15 ? Number.NaN : rng.normal()
      data[r * cols + 2] = rng.normal()
      data[r * cols + 3] = rng.next() < 0.15 ? Number.NaN : rng.normal()
      const z = (data[r * cols]! % 3) - 1 + data[r * cols + 2]! + (Number.isNaN(data[r * cols + 1]!) ? 1 : 0)
      y[r] = z < -0.5 ? 0 : z < 0.8 ? 1 : 2
    }
    const x = { rows, cols, data }
    // 7 trees per class: not a multiple of the scorer's lockstep width, so both paths run.
    const model = await new GradientBoostingClassifier({
      nEstimators: 7,
      maxCatToOnehot: 0,
      catSmooth: 1,
    }).fit(x, y, {
      categoricalFeatures: [0],
    })
    // Scoring rows with codes never seen at fit time (9, -1, 2.5, 300) and NaN in the categorical.
    const probe = new Float64Array(data)
    for (let r = 0; r < rows; r += 7) probe[r * cols] = [9, -1, 2.5, 300, Number.NaN][(r / 7) % 5]!
    const px = { rows, cols, data: probe }
    const view = model.treeEnsemble()
    const raw = model.predictRaw(px)
    const K = 3
    const out = new Float64Array(K)
    for (let r = 0; r < rows; r++) {
      const row = probe.subarray(r * cols, r * cols + cols)
      const m = Array.from(view.baseScore)
      for (const t of view.trees) m[t.output]! += walk(t.tree, row)
      model.predictRowRaw(probe, out, r * cols)
      for (let k = 0; k < K; k++) {
        assert.ok(Math.abs(m[k]! - raw[r * K + k]!) < 1e-9, `row ${r} class ${k}`)
        assert.equal(out[k], raw[r * K + k])
      }
    }
    const nodes = view.trees.flatMap((t) =>
      Array.from(t.tree.defaultLeft).filter((_, i) => t.tree.left[i] !== -1),
    )
    assert.ok(nodes.includes(0) && nodes.includes(1), 'both missing directions occur')
    assert.ok(view.trees.some((t) => t.tree.categorical?.some((c) => c === 1)))
  })

  it('early stopping on a validation set keeps the best round', async () => {
    const train = makeData(400, 4, 13)
    const valid = makeData(200, 4, 14)
    const model = await new GradientBoostingClassifier({ nEstimators: 500, learningRate: 0.3 }).fit(
      train.x,
      train.y,
      {
        validation: valid,
      },
    )
    assert.ok(model.nRounds < 500)
    const best = Math.min(...model.validationLoss)
    assert.equal(model.validationLoss[model.nRounds], best)
    const auto = await new GradientBoostingClassifier({
      nEstimators: 500,
      learningRate: 0.3,
      earlyStopping: true,
    }).fit(train.x, train.y)
    assert.ok(auto.nRounds < 500)
  })

  it('early-stops by default from 5,000 rows, then refits on every row for the scaled round count', async () => {
    const big = makeData(6000, 4, 31)
    // Below the threshold with the cross-validated round count off: all 100 rounds.
    const small = await new GradientBoostingClassifier({ threads: 1, autoCvFolds: 0 }).fit(
      { ...big.x, rows: 4000, data: big.x.data.subarray(0, 4000 * 4) },
      big.y.subarray(0, 4000),
    )
    assert.equal(small.validationLoss.length, 0)
    assert.equal(small.nRounds, 100)
    // Above it: a 10 % holdout picks the round count (validation loss recorded per round) ...
    const held = await new GradientBoostingClassifier({
      threads: 1,
      learningRate: 0.5,
      earlyStoppingRefit: false,
    }).fit(big.x, big.y)
    assert.ok(held.validationLoss.length > 1)
    assert.ok(held.nRounds < 100, `stopped at ${held.nRounds}`)
    // ... and the default refit trains on all 6,000 rows for round(best * 6000 / 5400) rounds.
    const refit = await new GradientBoostingClassifier({ threads: 1, learningRate: 0.5 }).fit(big.x, big.y)
    assert.deepEqual(refit.validationLoss, held.validationLoss)
    assert.equal(refit.nRounds, Math.round((held.nRounds * 6000) / 5400))
    assert.notDeepEqual(refit.predictProba(big.x).data, held.predictProba(big.x).data)
    // An explicit validation set is the user's choice: no refit on top of it.
    const valid = makeData(500, 4, 32)
    const explicit = await new GradientBoostingClassifier({ threads: 1, learningRate: 0.5 }).fit(
      big.x,
      big.y,
      {
        validation: valid,
      },
    )
    assert.equal(explicit.validationLoss[explicit.nRounds], Math.min(...explicit.validationLoss))
    assert.throws(() => new GradientBoostingClassifier({ earlyStoppingRefit: 1 as never }), {
      code: 'INVALID_ARGUMENT',
    })
  })

  it('up to 1,000 rows picks the round count by cross-validation, then fits every row', async () => {
    const { x, y } = makeData(600, 4, 33)
    // Learning rate 0.5 overfits 600 rows long before 200 rounds: every fold stops early.
    const cv = await new GradientBoostingClassifier({ threads: 1, learningRate: 0.5, nEstimators: 200 }).fit(
      x,
      y,
    )
    assert.ok(cv.nRounds >= 1 && cv.nRounds < 200, `kept ${cv.nRounds} rounds`)
    assert.equal(cv.validationLoss.length, 0)
    // The final model is the plain fit on every row for that many rounds.
    const plain = await new GradientBoostingClassifier({
      threads: 1,
      learningRate: 0.5,
      nEstimators: cv.nRounds,
      earlyStopping: false,
    }).fit(x, y)
    assert.deepEqual(cv.predictProba(x).data, plain.predictProba(x).data)
    // Same seed, same folds, same model.
    const again = await new GradientBoostingClassifier({
      threads: 1,
      learningRate: 0.5,
      nEstimators: 200,
    }).fit(x, y)
    assert.equal(again.nRounds, cv.nRounds)
    // Off (0 folds) or early stopping off: every round is kept.
    for (const extra of [{ autoCvFolds: 0 }, { earlyStopping: false }] as const) {
      const all = await new GradientBoostingClassifier({
        threads: 1,
        learningRate: 0.5,
        nEstimators: 200,
        ...extra,
      }).fit(x, y)
      assert.equal(all.nRounds, 200)
    }
  })

  it('weights, class weights and scalePosWeight shift probabilities', async () => {
    const { x, y } = makeData(500, 3, 15)
    const plain = await new GradientBoostingClassifier({ nEstimators: 10 }).fit(x, y)
    const scaled = await new GradientBoostingClassifier({ nEstimators: 10, scalePosWeight: 5 }).fit(x, y)
    const mean = (m: FittedGradientBoostingClassifier) => {
      const p = m.predictProba(x)
      let s = 0
      for (let r = 0; r < p.rows; r++) s += p.data[r * 2 + 1]!
      return s / p.rows
    }
    assert.ok(mean(scaled) > mean(plain) + 0.05)
    const zeroPositives = Float64Array.from(y, (v) => (v === 1 ? 0.01 : 1))
    const weighted = await new GradientBoostingClassifier({ nEstimators: 10 }).fit(x, y, {
      sampleWeight: zeroPositives,
    })
    assert.ok(mean(weighted) < mean(plain) - 0.05)
  })

  it('rejects bad params, shapes and artifacts with typed errors', async () => {
    assert.throws(() => new GradientBoostingClassifier({ maxBins: 300 }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => new GradientBoostingClassifier({ learnRate: 0.1 } as never), /Unknown/)
    const { x, y } = makeData(100, 3, 16)
    await assert.rejects(new GradientBoostingClassifier().fit(x, y.subarray(1)), {
      code: 'DATA_SHAPE_MISMATCH',
    })
    await assert.rejects(
      new GradientBoostingClassifier().fit(
        x,
        Float64Array.from(y, (v) => v + 0.5),
      ),
      {
        code: 'INVALID_ARGUMENT',
      },
    )
    await assert.rejects(
      new GradientBoostingClassifier().fit(
        { rows: 2, cols: 1, data: Float64Array.of(0.5, 1) },
        Float64Array.of(0, 1),
        {
          categoricalFeatures: [0],
        },
      ),
      /integer codes/,
    )
    const model = await new GradientBoostingClassifier({ nEstimators: 3 }).fit(x, y)
    assert.throws(() => model.predict({ rows: 1, cols: 2, data: new Float64Array(2) }), {
      code: 'DATA_SHAPE_MISMATCH',
    })
    const artifact = JSON.parse(JSON.stringify(model.toArtifact()))
    assert.throws(() => loadModel({ ...artifact, formatVersion: 99 }), {
      code: 'ARTIFACT_VERSION_UNSUPPORTED',
    })
    const broken = { ...artifact, state: { ...artifact.state, nOutputs: 3 } }
    assert.throws(() => loadModel(broken), { code: 'ARTIFACT_INVALID' })
    assert.equal(
      new GradientBoostingClassifier().getParams().learningRate,
      DEFAULT_GBDT_CLASSIFIER_PARAMS.learningRate,
    )
    assert.equal(new GradientBoostingClassifier().withParams({ maxLeaves: 7 }).getParams().maxLeaves, 7)
  })

  it('does not change its inputs', async () => {
    const { x, y } = makeData(300, 4, 17)
    const xCopy = Float64Array.from(x.data)
    const yCopy = Float64Array.from(y)
    await new GradientBoostingClassifier({ nEstimators: 5, subsample: 0.5 }).fit(x, y, {
      validation: makeData(50, 4, 18),
    })
    assert.deepEqual(x.data, xCopy)
    assert.deepEqual(y, yCopy)
  })
})

describe('GradientBoostingRegressor', () => {
  it('fits squared, absolute and Huber losses better than the mean', async () => {
    const { x, y } = makeData(600, 4, 19, 'regression')
    const mean = y.reduce((s, v) => s + v, 0) / y.length
    let base = 0
    for (const v of y) base += (v - mean) ** 2
    for (const loss of ['squared-error', 'absolute-error', 'huber'] as const) {
      const m = await new GradientBoostingRegressor({ loss, nEstimators: 40 }).fit(x, y)
      const pred = m.predict(x)
      let sse = 0
      for (let r = 0; r < y.length; r++) sse += (y[r]! - pred[r]!) ** 2
      assert.ok(sse < base * 0.3, `${loss}: ${sse / base}`)
    }
  })
})

describe('histograms', () => {
  it('bins of every feature sum to the node totals', async () => {
    const { x } = makeData(200, 3, 20)
    const mapper = fitBinMapper(x, 16, new Set(), [], 0)
    const bins = binMatrix(x, mapper)
    const { buildHistogramFeatures } = await import('./histogram.js')
    const rows = Int32Array.from({ length: 200 }, (_, i) => i)
    const g = Float64Array.from({ length: 200 }, (_, i) => Math.sin(i))
    const h = new Float64Array(200).fill(0.25)
    const buffer = { rows, grad: g, hess: h }
    const inputs = {
      bins,
      nRows: 200,
      buf: [buffer, buffer] as const,
      featureOffset: mapper.featureOffset,
      nBins: mapper.nBins,
      histPool: new Float64Array(mapper.totalBins * HIST_STRIDE),
      histSize: mapper.totalBins * HIST_STRIDE,
      histStride: HIST_STRIDE as HistStride,
    }
    buildHistogramFeatures(inputs, Int32Array.of(0, 1, 2), 0, 3, 0, 0, 0, 200)
    const gSum = g.reduce((s, v) => s + v, 0)
    for (let f = 0; f < 3; f++) {
      let sg = 0
      let sc = 0
      for (let b = 0; b <= mapper.nBins[f]!; b++) {
        const k = (mapper.featureOffset[f]! + b) * HIST_STRIDE
        sg += inputs.histPool[k]!
        sc += inputs.histPool[k + 2]!
      }
      assert.ok(Math.abs(sg - gSum) < 1e-9)
      assert.equal(sc, 200)
      assert.ok(mapper.nBins[f]! <= 16)
    }
    // Bin bounds split the column into ordered bins.
    const col = column(x, 0)
    for (let r = 0; r < 200; r++) {
      const b = bins[r]!
      const t = mapper.thresholds[0]!
      if (Number.isNaN(col[r]!)) assert.equal(b, mapper.nBins[0])
      else {
        if (b > 0) assert.ok(col[r]! > t[b - 1]!)
        if (b < t.length) assert.ok(col[r]! <= t[b]!)
      }
    }
  })

  it('node task feature groups cover every feature once, in order, shrinking towards the end', async () => {
    const { nodeGroupStarts } = await import('./hist-pool.js')
    for (let n = 1; n <= 300; n++) {
      const starts = [...nodeGroupStarts(n)]
      assert.equal(starts[0], 0)
      assert.equal(starts.at(-1), n)
      assert.ok(starts.length - 1 <= n, `${n}: at most one group per feature`)
      const sizes = starts.slice(1).map((s, i) => s - starts[i]!)
      for (let i = 1; i < sizes.length; i++) assert.ok(sizes[i]! <= sizes[i - 1]!, `${n}: ${sizes}`)
      assert.ok(sizes.at(-1)! <= 2, `${n}: the last group is one or two features`)
    }
    assert.deepEqual([...nodeGroupStarts(32)], [0, 8, 16, 20, 24, 28, 30, 32])
  })

  it('training with the WebAssembly kernels gives the same artifact as pure JavaScript', async () => {
    const { x, y } = makeData(6000, 9, 43)
    for (const histogramCounts of ['exact', 'hessian'] as const) {
      const params = { nEstimators: 12, subsample: 0.8, colsample: 0.7, threads: 1, histogramCounts }
      const wasm = JSON.stringify((await new GradientBoostingClassifier(params).fit(x, y)).toArtifact())
      const js = await withoutWasm(async () =>
        JSON.stringify((await new GradientBoostingClassifier(params).fit(x, y)).toArtifact()),
      )
      assert.equal(wasm, js, histogramCounts)
    }
  })

  it('counts estimated from hessians: exact where every hessian is 1, and auto from 100,000 rows', async () => {
    // Squared error: every row's hessian is 1, so a bin's hessian sum is its count and both modes
    // grow the same trees (categorical splits included).
    const { x, y } = makeData(6000, 6, 44, 'regression')
    for (let r = 0; r < x.rows; r++) x.data[r * x.cols] = r % 7
    const opts = { categoricalFeatures: [0] }
    const params = { nEstimators: 8, threads: 1, earlyStopping: false } as const
    const state = async (histogramCounts: 'exact' | 'hessian') =>
      JSON.stringify(
        (
          (
            await new GradientBoostingRegressor({ ...params, histogramCounts }).fit(x, y, opts)
          ).toArtifact() as {
            state: unknown
          }
        ).state,
      )
    assert.equal(await state('hessian'), await state('exact'))
    assert.equal(usesHessianCounts('auto', HESSIAN_COUNTS_MIN_ROWS), true)
    assert.equal(usesHessianCounts('auto', HESSIAN_COUNTS_MIN_ROWS - 1), false)
    assert.equal(usesHessianCounts('exact', 10 ** 7), false)
    assert.equal(usesHessianCounts('hessian', 10), true)
  })

  it('counts estimated from hessians still learn the signal, and differ from exact counts on skewed hessians', async () => {
    // Log-loss hessians p(1 - p) vary by row, so estimated counts move the minSamplesLeaf limit.
    const { x, y } = makeData(8000, 8, 45)
    const params = { nEstimators: 30, threads: 1, minSamplesLeaf: 200, earlyStopping: false } as const
    const exact = await new GradientBoostingClassifier({ ...params, histogramCounts: 'exact' }).fit(x, y)
    const hessian = await new GradientBoostingClassifier({ ...params, histogramCounts: 'hessian' }).fit(x, y)
    const accuracy = (m: typeof exact) => {
      const p = m.predictProba(x).data
      let ok = 0
      for (let r = 0; r < y.length; r++) if ((p[2 * r + 1]! > 0.5 ? 1 : 0) === y[r]) ok++
      return ok / y.length
    }
    assert.ok(
      Math.abs(accuracy(hessian) - accuracy(exact)) < 0.02,
      `${accuracy(hessian)} vs ${accuracy(exact)}`,
    )
    assert.notEqual(
      JSON.stringify((hessian.toArtifact() as { state: unknown }).state),
      JSON.stringify((exact.toArtifact() as { state: unknown }).state),
    )
  })

  for (const stride of [HIST_STRIDE, HESSIAN_HIST_STRIDE] as const) {
    const kind = stride === HIST_STRIDE ? 'with counts' : 'without counts'
    it(`the WebAssembly kernels build the same histograms as the JavaScript loop, ${kind}, bit for bit`, async () => {
      const { buildHistogramFeatures } = await import('./histogram.js')
      const { allocArena, histKernel, rowBufferViews } = await import('./wasm-hist.js')
      const rows = 3000
      const cols = 15 // one group of eight, one of four, one of two (without counts) and a single feature
      const { x } = makeData(rows, cols, 41)
      const mapper = fitBinMapper(x, 255, new Set(), [], 0)
      const histSize = mapper.totalBins * stride
      const countedSize = mapper.totalBins * HIST_STRIDE
      const arena = allocArena(rows, cols, 2 * histSize)
      assert.ok(arena !== null, 'WebAssembly is available on Node 20')
      const buf = arena.memory.buffer
      const bins = binMatrix(x, mapper, null, new Uint8Array(buf, arena.bins, rows * cols))
      const rng = new Rng(5)
      // A node: a sparse increasing subset of rows, with its gradients gathered.
      const sub = Int32Array.from({ length: rows }, (_, i) => i).filter(() => rng.next() < 0.4)
      // In the second row buffer, so the kernel's addressing of both is exercised.
      const second = rowBufferViews(arena, 1, rows)
      second.rows.set(sub)
      for (let i = 0; i < sub.length; i++) {
        second.grad[i] = rng.normal()
        second.hess[i] = rng.next()
      }
      const inputs = {
        bins,
        nRows: rows,
        buf: [rowBufferViews(arena, 0, rows), second] as const,
        featureOffset: mapper.featureOffset,
        nBins: mapper.nBins,
        histPool: new Float64Array(buf, arena.histPool, 2 * histSize),
        histSize,
        histStride: stride,
        arena,
      }
      const features = Int32Array.of(6, 0, 3, 12, 1, 5, 9, 2, 14, 4, 11, 7, 10, 13, 8)
      buildHistogramFeatures(inputs, features, 0, cols, 0, 1, 0, sub.length, null)
      buildHistogramFeatures(inputs, features, 0, cols, 1, 1, 0, sub.length, histKernel(arena.memory))
      const js = inputs.histPool.subarray(0, histSize)
      const wasm = inputs.histPool.subarray(histSize, 2 * histSize)
      assert.ok(js.some((v) => v !== 0))
      for (let k = 0; k < histSize; k++)
        if (js[k] !== wasm[k]) assert.fail(`slot ${k}: ${js[k]} vs ${wasm[k]}`)
      // Both strides hold the same gradient and hessian sums, bit for bit (the JavaScript loop with
      // counts, outside the arena, as the reference; the kernels address the arena's pool only).
      const { arena: _arena, ...plain } = inputs
      const counted = {
        ...plain,
        histPool: new Float64Array(countedSize),
        histSize: countedSize,
        histStride: HIST_STRIDE as HistStride,
      }
      buildHistogramFeatures(counted, features, 0, cols, 0, 1, 0, sub.length, null)
      for (let bin = 0; bin < mapper.totalBins; bin++) {
        assert.equal(wasm[bin * stride], counted.histPool[bin * HIST_STRIDE])
        assert.equal(wasm[bin * stride + 1], counted.histPool[bin * HIST_STRIDE + 1])
      }
      // Ranges that start inside the buffer, of odd and even lengths (the kernels take rows in
      // pairs, then the odd one), a single row and none.
      for (const [start, end] of [
        [3, 104],
        [4, 204],
        [7, 8],
        [5, 5],
      ] as const) {
        js.fill(0)
        wasm.fill(0)
        buildHistogramFeatures(inputs, features, 0, cols, 0, 1, start, end, null)
        buildHistogramFeatures(inputs, features, 0, cols, 1, 1, start, end, histKernel(arena.memory))
        for (let k = 0; k < histSize; k++)
          if (js[k] !== wasm[k]) assert.fail(`rows [${start}, ${end}), slot ${k}: ${js[k]} vs ${wasm[k]}`)
        assert.equal(
          js.some((v) => v !== 0),
          end > start,
        )
      }
    })
  }
})
