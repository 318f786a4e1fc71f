import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import type { Matrix } from '../../core/index.js'
import { Rng } from '../../core/index.js'
import { loadModel } from '../load.js'
import type { StandardizeMode } from './index.js'
import {
  type FittedLinearRegression,
  FittedLogisticRegression,
  LinearRegression,
  LogisticRegression,
} from './index.js'

interface Case {
  name: string
  kind: 'logistic' | 'ridge'
  target?: 'binary' | 'multiclass'
  l2: number
  standardize: StandardizeMode
  weighted: boolean
  classWeight?: 'balanced' | null
  coef: number[]
  intercept: number[]
  proba?: number[]
  exactCoef?: number[]
  exactIntercept?: number[]
  exactProba?: number[]
  predict?: number[]
}
interface Fixture {
  x: number[]
  rows: number
  cols: number
  yBinary: number[]
  yMulticlass: number[]
  yRegression: number[]
  sampleWeight: number[]
  cases: Case[]
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/sklearn-reference.json', import.meta.url), 'utf8'),
) as Fixture
const X: Matrix = { rows: fixture.rows, cols: fixture.cols, data: Float64Array.from(fixture.x) }
const SW = Float64Array.from(fixture.sampleWeight)

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`)
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!)
    assert.ok(
      diff <= tol * Math.max(1, Math.abs(expected[i]!)),
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    )
  }
}

function roundTrip<T>(model: { toArtifact(): unknown }): T {
  return loadModel(JSON.parse(JSON.stringify(model.toArtifact()))) as T
}

describe('LogisticRegression and LinearRegression against scikit-learn', () => {
  for (const c of fixture.cases) {
    it(c.name, async () => {
      const options = c.weighted ? { sampleWeight: SW } : {}
      if (c.kind === 'logistic') {
        const y = Float64Array.from(c.target === 'binary' ? fixture.yBinary : fixture.yMulticlass)
        const model = await new LogisticRegression({
          l2: c.l2,
          standardize: c.standardize,
          classWeight: c.classWeight ?? null,
          tol: 1e-12,
        }).fit(X, y, options)
        const coef = model.coefficients()
        // Multinomial intercepts are identified only up to a constant; both solvers start at 0
        // and keep their sum at 0, so they agree directly. scikit-learn's L-BFGS stops on
        // scipy's default ftol, about 1e-5 short of the optimum; the fixture also holds that
        // solution polished by exact Newton steps, which we must match much more tightly.
        assertClose(coef.standardized.coef, c.coef, 3e-5, 'coef vs sklearn')
        assertClose(coef.standardized.intercept, c.intercept, 3e-5, 'intercept vs sklearn')
        assertClose(model.predictProba(X).data, c.proba!, 3e-5, 'proba vs sklearn')
        assertClose(coef.standardized.coef, c.exactCoef!, 1e-7, 'coef vs exact')
        assertClose(coef.standardized.intercept, c.exactIntercept!, 1e-7, 'intercept vs exact')
        assertClose(model.predictProba(X).data, c.exactProba!, 1e-8, 'proba vs exact')
      } else {
        const model = await new LinearRegression({ l2: c.l2, standardize: c.standardize }).fit(
          X,
          Float64Array.from(fixture.yRegression),
          options,
        )
        const coef = model.coefficients()
        assertClose(coef.standardized.coef, c.coef, 1e-8, 'coef')
        assertClose(coef.standardized.intercept, c.intercept, 1e-8, 'intercept')
        assertClose(model.predict(X), c.predict!, 1e-8, 'predict')
      }
    })
  }

  it('binary logistic: Newton (auto) and L-BFGS reach the same optimum', async () => {
    const c = fixture.cases.find((k) => k.kind === 'logistic' && k.target === 'binary')!
    const y = Float64Array.from(fixture.yBinary)
    for (const solver of ['newton', 'lbfgs'] as const) {
      const model = await new LogisticRegression({
        l2: c.l2,
        standardize: c.standardize,
        solver,
        tol: 1e-12,
      }).fit(X, y)
      assertClose(model.coefficients().standardized.coef, c.exactCoef!, 1e-7, `${solver} coef`)
    }
    await assert.rejects(
      new LogisticRegression({ solver: 'newton' }).fit(X, Float64Array.from(fixture.yMulticlass)),
      { code: 'INVALID_ARGUMENT' },
    )
  })

  it('ridge by L-BFGS agrees with the exact Cholesky solution', async () => {
    const y = Float64Array.from(fixture.yRegression)
    const exact = await new LinearRegression({ solver: 'cholesky' }).fit(X, y)
    const iterative = await new LinearRegression({ solver: 'lbfgs', tol: 1e-13 }).fit(X, y)
    assertClose(iterative.predict(X), exact.predict(X), 1e-7, 'predict')
  })
})

describe('linear model properties', () => {
  const yb = Float64Array.from(fixture.yBinary)
  const y3 = Float64Array.from(fixture.yMulticlass)

  it('original-scale coefficients reproduce the margins', async () => {
    const model = await new LogisticRegression().fit(X, yb)
    const { original } = model.coefficients()
    const margins = model.decisionFunction(X).data
    for (let i = 0; i < X.rows; i++) {
      let m = original.intercept[0]!
      for (let j = 0; j < X.cols; j++) m += original.coef[j]! * X.data[i * X.cols + j]!
      assert.ok(Math.abs(m - margins[i]!) < 1e-9)
    }
  })

  it('probabilities sum to 1 and predict is their argmax', async () => {
    for (const y of [yb, y3]) {
      const model = await new LogisticRegression().fit(X, y)
      const proba = model.predictProba(X)
      const pred = model.predict(X)
      for (let i = 0; i < X.rows; i++) {
        let s = 0
        let best = 0
        for (let c = 0; c < proba.cols; c++) {
          const v = proba.data[i * proba.cols + c]!
          assert.ok(v >= 0 && v <= 1)
          s += v
          if (v > proba.data[i * proba.cols + best]!) best = c
        }
        assert.ok(Math.abs(s - 1) < 1e-12)
        assert.equal(pred[i], best)
      }
    }
  })

  it('is invariant to column order', async () => {
    const perm = [3, 0, 4, 2, 1]
    const xp = new Float64Array(X.data.length)
    for (let i = 0; i < X.rows; i++)
      for (let j = 0; j < X.cols; j++) xp[i * X.cols + j] = X.data[i * X.cols + perm[j]!]!
    const permuted: Matrix = { rows: X.rows, cols: X.cols, data: xp }
    for (const y of [yb, y3]) {
      const a = await new LogisticRegression({ tol: 1e-12 }).fit(X, y)
      const b = await new LogisticRegression({ tol: 1e-12 }).fit(permuted, y)
      assertClose(b.predictProba(permuted).data, a.predictProba(X).data, 1e-7, 'proba')
    }
    const yr = Float64Array.from(fixture.yRegression)
    const a = await new LinearRegression().fit(X, yr)
    const b = await new LinearRegression().fit(permuted, yr)
    assertClose(b.predict(permuted), a.predict(X), 1e-9, 'predict')
  })

  it('save/load predicts bit-identically; same data gives a byte-identical artifact', async () => {
    const models = [
      await new LogisticRegression().fit(X, yb),
      await new LogisticRegression({ classWeight: 'balanced' }).fit(X, y3),
      await new LinearRegression().fit(X, Float64Array.from(fixture.yRegression)),
    ]
    for (const m of models) {
      const loaded = roundTrip<FittedLogisticRegression | FittedLinearRegression>(m)
      assert.deepEqual(loaded.predict(X), m.predict(X))
      if (m instanceof FittedLogisticRegression) {
        assert.ok(loaded instanceof FittedLogisticRegression)
        assert.deepEqual(loaded.predictProba(X).data, m.predictProba(X).data)
      }
      assert.equal(JSON.stringify(loaded.toArtifact()), JSON.stringify(m.toArtifact()))
    }
    const again = await new LogisticRegression().fit(X, yb)
    assert.equal(JSON.stringify(again.toArtifact()), JSON.stringify(models[0]!.toArtifact()))
  })

  it('treats NaN inputs as the training mean and never crashes', async () => {
    const model = await new LogisticRegression().fit(X, yb)
    const row: Matrix = { rows: 1, cols: X.cols, data: new Float64Array(X.cols).fill(Number.NaN) }
    const p = model.predictProba(row).data
    assert.ok(Number.isFinite(p[0]!) && Number.isFinite(p[1]!))
    const xn = Float64Array.from(X.data)
    xn[3] = Number.NaN
    xn[17] = Number.NaN
    const withNaN = await new LogisticRegression().fit({ ...X, data: xn }, yb)
    assert.ok(withNaN.predictProba(X).data.every(Number.isFinite))
  })

  it('reports a decreasing loss and leaves inputs unchanged', async () => {
    const before = Float64Array.from(X.data)
    const losses: number[] = []
    await new LogisticRegression().fit(X, y3, { onIteration: (info) => losses.push(info.trainLoss) })
    assert.ok(losses.length > 2)
    for (let i = 1; i < losses.length; i++) assert.ok(losses[i]! <= losses[i - 1]! + 1e-15)
    assert.deepEqual(X.data, before)
  })

  it('rejects bad params, shapes and targets with typed errors', async () => {
    assert.throws(() => new LogisticRegression({ l2: -1 }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => new LogisticRegression({ tol: 0 }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => new LinearRegression({ solver: 'qr' as 'auto' }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => new LinearRegression({ alpha: 1 } as never), /Unknown LinearRegression param 'alpha'/)
    await assert.rejects(new LogisticRegression().fit(X, yb.subarray(1)), { code: 'DATA_SHAPE_MISMATCH' })
    await assert.rejects(
      new LogisticRegression().fit(
        X,
        Float64Array.from(yb, (v) => v + 0.5),
      ),
      {
        code: 'INVALID_ARGUMENT',
      },
    )
    const model = await new LinearRegression().fit(X, Float64Array.from(fixture.yRegression))
    assert.throws(() => model.predict({ rows: 1, cols: 2, data: new Float64Array(2) }), {
      code: 'DATA_SHAPE_MISMATCH',
    })
  })

  it('a larger random problem converges and separates the classes', async () => {
    const rng = new Rng(3)
    const n = 2000
    const p = 20
    const data = new Float64Array(n * p)
    const y = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      let m = 0
      for (let j = 0; j < p; j++) {
        const v = rng.normal() * (j + 1)
        data[i * p + j] = v
        m += (j % 3 === 0 ? 1 : -0.5) * (v / (j + 1))
      }
      y[i] = rng.next() < 1 / (1 + Math.exp(-m)) ? 1 : 0
    }
    const model = await new LogisticRegression().fit({ rows: n, cols: p, data }, y)
    assert.ok(model.converged, `converged after ${model.iterations} iterations`)
    const pred = model.predict({ rows: n, cols: p, data })
    let correct = 0
    for (let i = 0; i < n; i++) if (pred[i] === y[i]) correct++
    assert.ok(correct / n > 0.75)
  })
})

describe("standardize 'numeric' (the default)", () => {
  // Column 0 continuous, column 1 a 0/1 flag the user supplied, column 2 a 0/1 one-hot level.
  const rng = new Rng(11)
  const n = 400
  const data = new Float64Array(n * 3)
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    data[i * 3] = rng.normal() * 5
    data[i * 3 + 1] = rng.next() < 0.2 ? 1 : 0
    data[i * 3 + 2] = rng.next() < 0.5 ? 1 : 0
    const m = 0.2 * data[i * 3]! + 1.5 * data[i * 3 + 1]! - data[i * 3 + 2]!
    y[i] = rng.next() < 1 / (1 + Math.exp(-m)) ? 1 : 0
  }
  const x: Matrix = { rows: n, cols: 3, data }
  const coefOf = async (standardize: StandardizeMode, indicatorFeatures?: number[]) =>
    (
      await new LogisticRegression({ standardize, tol: 1e-12 }).fit(
        x,
        y,
        indicatorFeatures === undefined ? {} : { indicatorFeatures },
      )
    ).coefficients().original.coef

  it('scales every column but the encoder-made indicators, as the scikit-learn recipe does', async () => {
    assert.equal(LogisticRegression.DEFAULT_PARAMS.standardize, 'numeric')
    assert.equal(LinearRegression.DEFAULT_PARAMS.standardize, 'numeric')
    // Only column 2 is an indicator: the user's 0/1 flag is scaled like any numeric column, so
    // the fit differs from 'non-binary' (which keeps both 0/1 columns unscaled).
    const scaleOf = async (standardize: StandardizeMode, indicatorFeatures?: number[]) =>
      (
        await new LogisticRegression({ standardize }).fit(
          x,
          y,
          indicatorFeatures === undefined ? {} : { indicatorFeatures },
        )
      ).coefficients().scale
    const scales = await scaleOf('numeric', [2])
    assert.ok(Math.abs(scales[1]! - 0.4) < 0.05, `flag scaled by its sd: ${scales[1]}`)
    assert.equal(scales[2], 1)
    assert.equal((await scaleOf('non-binary'))[1], 1)
    const numeric = await coefOf('numeric', [2])
    const nonBinary = await coefOf('non-binary')
    assert.ok(Math.abs(numeric[1]! - nonBinary[1]!) > 1e-3, `${numeric[1]} vs ${nonBinary[1]}`)
    // With column 1 listed too it is exactly 'non-binary'; with no indicators, exactly 'all'.
    assertClose(await coefOf('numeric', [1, 2]), nonBinary, 1e-9, 'numeric = non-binary')
    assertClose(await coefOf('numeric', []), await coefOf('all'), 1e-9, 'numeric = all')
    // A matrix not made by the encoder (no indicatorFeatures) falls back to 'non-binary'.
    assertClose(await coefOf('numeric'), nonBinary, 1e-9, 'fallback')
  })

  it('rejects an indicator column outside the matrix', async () => {
    await assert.rejects(new LogisticRegression().fit(x, y, { indicatorFeatures: [3] }), {
      code: 'INVALID_ARGUMENT',
    })
    await assert.rejects(new LinearRegression().fit(x, y, { indicatorFeatures: [-1] }), {
      code: 'INVALID_ARGUMENT',
    })
  })
})
