import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import type { Matrix } from '../../core/index.js'
import { Rng } from '../../core/index.js'
import { loadModel } from '../load.js'
import {
  type FittedLinearRegression,
  type FittedLogisticRegression,
  LinearRegression,
  LogisticRegression,
} from './index.js'

// The dataset of fixtures/sklearn-reference.json (written by make-fixtures.py).
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/sklearn-reference.json', import.meta.url), 'utf8'),
) as {
  x: number[]
  rows: number
  cols: number
  yBinary: number[]
  yMulticlass: number[]
  yRegression: number[]
  sampleWeight: number[]
}
const X: Matrix = { rows: fixture.rows, cols: fixture.cols, data: Float64Array.from(fixture.x) }
const SW = Float64Array.from(fixture.sampleWeight)
const YR = Float64Array.from(fixture.yRegression)
const YB = Float64Array.from(fixture.yBinary)
const Y3 = Float64Array.from(fixture.yMulticlass)

interface Reference {
  name: string
  kind: 'regression' | 'logistic'
  alpha?: number
  l2?: number
  penalty?: 'l1' | 'elasticnet'
  target?: 'binary' | 'multiclass'
  l1Ratio: number
  weighted?: boolean
  /** Standardised scale, row-major outputs x features; multinomial intercepts centred. */
  coef: number[]
  intercept: number[]
}

/**
 * scikit-learn 1.2.1 on the standardised features (Keel's default 'numeric' standardisation, which
 * without `indicatorFeatures` is 'non-binary'),
 * printed by `OMP_NUM_THREADS=1 /usr/bin/python3 fixtures/make-penalty-fixtures.py`: ElasticNet
 * (Lasso when l1Ratio = 1) with tol 1e-14, LogisticRegression(solver='saga', tol=1e-12,
 * max_iter=1e6). The script also checks each reference's optimality: every one is within 3e-13
 * of the exact optimum (max-norm of the smallest subgradient), so agreement is limited by our
 * solver, not by the reference.
 */
const REFERENCES: Reference[] = [
  {
    name: 'lasso alpha=0.5',
    kind: 'regression',
    alpha: 0.5,
    l1Ratio: 1.0,
    weighted: false,
    coef: [1.2521886618705147, -0.8242611191527487, 1.8476635764764353, 0.0, 0.0],
    intercept: [0.5620112555087408],
  },
  {
    name: 'elasticnet alpha=0.5 l1Ratio=0.7',
    kind: 'regression',
    alpha: 0.5,
    l1Ratio: 0.7,
    weighted: false,
    coef: [1.179777117294406, -0.8461434094098953, 1.7111561578175505, 0.0, 0.1295829986731284],
    intercept: [0.5620112555087408],
  },
  {
    name: 'lasso alpha=0.2 weighted',
    kind: 'regression',
    alpha: 0.2,
    l1Ratio: 1.0,
    weighted: true,
    coef: [1.6032098345916943, -1.1467829541973178, 2.157089482653169, 0.7425502689811575, 0.0],
    intercept: [0.367708921322254],
  },
  {
    name: 'binary l1 C=0.1',
    kind: 'logistic',
    target: 'binary',
    l2: 10.0,
    penalty: 'l1',
    l1Ratio: 1.0,
    coef: [0.16493769127900018, 0.0, 0.0637114184221693, 0.0, 0.0],
    intercept: [-1.1061001298180257],
  },
  {
    name: 'binary elasticnet C=0.1 l1Ratio=0.5',
    kind: 'logistic',
    target: 'binary',
    l2: 10.0,
    penalty: 'elasticnet',
    l1Ratio: 0.5,
    coef: [0.3646022226904242, -0.1869825983093595, 0.27669320636024, 0.0, 0.14578209196556283],
    intercept: [-1.1716495052581435],
  },
  {
    name: 'multinomial l1 C=0.2',
    kind: 'logistic',
    target: 'multiclass',
    l2: 5.0,
    penalty: 'l1',
    l1Ratio: 1.0,
    coef: [
      -1.1354429325605837, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0647262163074336, 0.0, 0.0, 0.0,
      0.584905300642202,
    ],
    intercept: [-0.18597469814731785, 0.22657566236915822, -0.040600964221840376],
  },
  {
    name: 'multinomial elasticnet C=0.5 l1Ratio=0.3',
    kind: 'logistic',
    target: 'multiclass',
    l2: 2.0,
    penalty: 'elasticnet',
    l1Ratio: 0.3,
    coef: [
      -1.5332948387840597, 0.22289105452910213, 0.0, 0.4862556089300066, -0.24918289648749808, 0.0, 0.0,
      -0.07407598797638981, -0.5462318574448031, -0.07789461415693771, 1.5087489188317726,
      -0.1426850687280587, 0.0, 0.0, 0.7556489391908091,
    ],
    intercept: [-0.22888348753972004, 0.354241757861046, -0.125358270321326],
  },
]

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}

async function fitReference(
  r: Reference,
  extra: object = {},
): Promise<FittedLinearRegression | FittedLogisticRegression> {
  if (r.kind === 'regression') {
    return new LinearRegression({
      penalty: r.l1Ratio === 1 ? 'l1' : 'elasticnet',
      l2: r.alpha!,
      l1Ratio: r.l1Ratio,
      tol: 1e-14,
      ...extra,
    }).fit(X, YR, r.weighted === true ? { sampleWeight: SW } : {})
  }
  return new LogisticRegression({
    penalty: r.penalty!,
    l2: r.l2!,
    l1Ratio: r.l1Ratio,
    tol: 1e-12,
    ...extra,
  }).fit(X, r.target === 'binary' ? YB : Y3)
}

describe('L1 and elastic-net penalties against scikit-learn', () => {
  for (const r of REFERENCES) {
    it(r.name, async () => {
      const model = await fitReference(r)
      assert.ok(model.converged, `converged after ${model.iterations} iterations`)
      const { coef, intercept } = model.coefficients().standardized
      // Measured agreement is <= 1e-14 (regression) and <= 1e-11 (logistic); 1e-9 leaves room
      // for platform rounding while failing on any real difference.
      assert.ok(maxDiff(coef, r.coef) <= 1e-9, `coef ${coef} vs ${r.coef}`)
      assert.ok(maxDiff(intercept, r.intercept) <= 1e-9, `intercept ${intercept} vs ${r.intercept}`)
      // Exact zeros exactly where scikit-learn has them.
      for (let j = 0; j < r.coef.length; j++) {
        assert.equal(coef[j] === 0, r.coef[j] === 0, `coef[${j}] = ${coef[j]} vs ${r.coef[j]}`)
      }
    })
  }

  it('has sparsity in the references (the test would mean little without it)', () => {
    for (const r of REFERENCES)
      assert.ok(
        r.coef.some((v) => v === 0),
        r.name,
      )
  })
})

describe('penalty behaviour', () => {
  it('a strong L1 penalty leaves only the intercept, at its closed form', async () => {
    const lasso = await new LinearRegression({ penalty: 'l1', l2: 1e3 }).fit(X, YR, { sampleWeight: SW })
    const c = lasso.coefficients().standardized
    assert.ok(c.coef.every((v) => v === 0))
    let sw = 0
    let swy = 0
    for (let i = 0; i < YR.length; i++) {
      sw += SW[i]!
      swy += SW[i]! * YR[i]!
    }
    assert.ok(Math.abs(c.intercept[0]! - swy / sw) < 1e-12)

    const binary = await new LogisticRegression({ penalty: 'l1', l2: 1e4 }).fit(X, YB)
    const b = binary.coefficients().standardized
    assert.ok(b.coef.every((v) => v === 0))
    const rate = YB.reduce((s, v) => s + v, 0) / YB.length
    assert.ok(Math.abs(b.intercept[0]! - Math.log(rate / (1 - rate))) < 1e-8)

    const multi = await new LogisticRegression({ penalty: 'elasticnet', l1Ratio: 0.5, l2: 1e4 }).fit(X, Y3)
    const m = multi.coefficients().standardized
    assert.ok(m.coef.every((v) => v === 0))
    const counts = [0, 0, 0]
    for (const v of Y3) counts[v]!++
    const logs = counts.map((k) => Math.log(k / Y3.length))
    const mean = logs.reduce((s, v) => s + v, 0) / 3
    assert.ok(
      maxDiff(
        m.intercept,
        logs.map((v) => v - mean),
      ) < 1e-8,
    )
  })

  it('coordinate descent with an L2 penalty reaches the exact ridge and Newton optima', async () => {
    const exact = await new LinearRegression({ l2: 3, solver: 'cholesky' }).fit(X, YR, { sampleWeight: SW })
    const cd = await new LinearRegression({ l2: 3, solver: 'cd', tol: 1e-13 }).fit(X, YR, {
      sampleWeight: SW,
    })
    assert.ok(maxDiff(cd.predict(X), exact.predict(X)) < 1e-8)
    const newton = await new LogisticRegression({ l2: 2, solver: 'newton', tol: 1e-12 }).fit(X, YB)
    const newtonCd = await new LogisticRegression({ l2: 2, solver: 'newton-cd', tol: 1e-12 }).fit(X, YB)
    assert.ok(maxDiff(newtonCd.predictProba(X).data, newton.predictProba(X).data) < 1e-9)
    const lbfgs = await new LogisticRegression({ l2: 2, solver: 'lbfgs', tol: 1e-12 }).fit(X, Y3)
    const multiCd = await new LogisticRegression({ l2: 2, solver: 'newton-cd', tol: 1e-12 }).fit(X, Y3)
    assert.ok(maxDiff(multiCd.predictProba(X).data, lbfgs.predictProba(X).data) < 1e-8)
  })

  it('elasticnet with l1Ratio 1 is l1; penalty none ignores the strength', async () => {
    const l1 = await new LinearRegression({ penalty: 'l1', l2: 0.5 }).fit(X, YR)
    const en = await new LinearRegression({ penalty: 'elasticnet', l1Ratio: 1, l2: 0.5 }).fit(X, YR)
    assert.deepEqual(en.predict(X), l1.predict(X))
    const none = await new LinearRegression({ penalty: 'none', l2: 50 }).fit(X, YR)
    const ols = await new LinearRegression({ l2: 0 }).fit(X, YR)
    assert.deepEqual(none.predict(X), ols.predict(X))
    const noneLogistic = await new LogisticRegression({ penalty: 'none', l2: 50 }).fit(X, YB)
    const zeroLogistic = await new LogisticRegression({ l2: 0 }).fit(X, YB)
    assert.deepEqual(noneLogistic.predictProba(X).data, zeroLogistic.predictProba(X).data)
  })

  it('the default penalty is unchanged (l2)', async () => {
    assert.equal(new LinearRegression().getParams().penalty, 'l2')
    assert.equal(new LogisticRegression().getParams().penalty, 'l2')
  })

  it('save/load predicts bit-identically with the penalty params kept', async () => {
    const models = [
      await fitReference(REFERENCES[0]!),
      await fitReference(REFERENCES[3]!),
      await fitReference(REFERENCES[6]!),
    ]
    for (const m of models) {
      const artifact = JSON.parse(JSON.stringify(m.toArtifact())) as {
        formatVersion: number
        params: Record<string, unknown>
      }
      assert.equal(artifact.formatVersion, 2)
      assert.notEqual(artifact.params.penalty, 'l2')
      const loaded = loadModel(artifact) as FittedLinearRegression | FittedLogisticRegression
      assert.deepEqual(loaded.params, m.params)
      assert.deepEqual(loaded.predict(X), m.predict(X))
      if ('predictProba' in m && 'predictProba' in loaded) {
        assert.deepEqual(loaded.predictProba(X).data, m.predictProba(X).data)
      }
      assert.equal(JSON.stringify(loaded.toArtifact()), JSON.stringify(m.toArtifact()))
    }
  })

  it('reads version-1 artifacts (no penalty params) as L2 models', async () => {
    const ridge = await new LinearRegression().fit(X, YR)
    const logistic = await new LogisticRegression().fit(X, Y3)
    for (const m of [ridge, logistic]) {
      const v1 = JSON.parse(JSON.stringify(m.toArtifact())) as {
        formatVersion: number
        params: Record<string, unknown>
        state: Record<string, unknown>
      }
      v1.formatVersion = 1
      delete v1.params.penalty
      delete v1.params.l1Ratio
      if (m === ridge) delete v1.state.converged
      const loaded = loadModel(v1) as FittedLinearRegression | FittedLogisticRegression
      assert.equal(loaded.params.penalty, 'l2')
      assert.deepEqual(loaded.predict(X), m.predict(X))
    }
  })

  it('an iteration cap is reported as converged: false, not thrown', async () => {
    const r = REFERENCES[6]!
    const capped = await fitReference(r, { maxIter: 1 })
    assert.equal(capped.converged, false)
    assert.equal(capped.iterations, 1)
    const lasso = await fitReference(REFERENCES[1]!, { maxIter: 1 })
    assert.equal(lasso.converged, false)
  })

  it('too wide for a dense solve: a clear error before any large allocation, not an out-of-memory crash', async () => {
    const rows = 4
    const cols = 6001
    const rng = new Rng(3)
    const x: Matrix = { rows, cols, data: Float64Array.from({ length: rows * cols }, () => rng.normal()) }
    const y = Float64Array.of(0, 1, 0, 1)
    const cases: [string, () => Promise<unknown>][] = [
      ['lasso', () => new LinearRegression({ penalty: 'l1' }).fit(x, y)],
      ['cholesky', () => new LinearRegression({ solver: 'cholesky' }).fit(x, y)],
      ['l1 logistic', () => new LogisticRegression({ penalty: 'l1' }).fit(x, y)],
      ['newton', () => new LogisticRegression({ solver: 'newton' }).fit(x, y)],
    ]
    for (const [name, fit] of cases) {
      await assert.rejects(fit, (e: Error) => {
        assert.match(e.message, /dense 600[12] x 600[12] system .*at most 6000 unknowns/, name)
        return true
      })
    }
    // The L2 default switches to L-BFGS on wide data and fits.
    const ridge = await new LinearRegression().fit(x, y)
    assert.equal(ridge.predict(x).length, rows, 'ridge on wide data')
  })

  it('reports a decreasing objective', async () => {
    for (const fit of [
      (cb: (l: number) => void) =>
        new LogisticRegression({ penalty: 'l1', l2: 5 }).fit(X, Y3, { onIteration: (i) => cb(i.trainLoss) }),
      (cb: (l: number) => void) =>
        new LinearRegression({ penalty: 'elasticnet', l2: 0.3 }).fit(X, YR, {
          onIteration: (i) => cb(i.trainLoss),
        }),
    ]) {
      const losses: number[] = []
      await fit((l) => losses.push(l))
      assert.ok(losses.length >= 2)
      // Up to rounding: least squares evaluates its objective from the Gram matrix.
      for (let i = 1; i < losses.length; i++) assert.ok(losses[i]! <= losses[i - 1]! * (1 + 1e-14))
    }
  })

  it('a wider random problem converges to a sparse model that keeps the true features', async () => {
    const rng = new Rng(11)
    const n = 600
    const p = 40
    const data = new Float64Array(n * p)
    const yb = new Float64Array(n)
    const yr = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      let m = 0
      for (let j = 0; j < p; j++) {
        const v = rng.normal() * (j + 1)
        data[i * p + j] = v
        if (j < 4) m += v / (j + 1)
      }
      yb[i] = rng.next() < 1 / (1 + Math.exp(-2 * m)) ? 1 : 0
      yr[i] = m + 0.5 * rng.normal()
    }
    const x = { rows: n, cols: p, data }
    const models = [
      await new LogisticRegression({ penalty: 'l1', l2: 20 }).fit(x, yb),
      await new LinearRegression({ penalty: 'l1', l2: 0.1 }).fit(x, yr),
    ]
    for (const model of models) {
      assert.ok(model.converged, `converged after ${model.iterations} iterations`)
      const coef = model.coefficients().standardized.coef
      for (let j = 0; j < 4; j++) assert.ok(coef[j] !== 0, `true feature ${j} kept`)
      let zeros = 0
      for (let j = 4; j < p; j++) if (coef[j] === 0) zeros++
      assert.ok(zeros >= 30, `${zeros} of ${p - 4} noise features are exactly zero`)
    }
  })

  it('converges quickly on a full one-hot group beside the intercept (singular Hessian)', async () => {
    // Each row's group indicators sum to 1, the intercept's column: a flat direction on which
    // plain coordinate descent crawls; the active-set Newton steps must take it in a few sweeps.
    const rng = new Rng(5)
    const n = 800
    const levels = 6
    const p = levels + 3
    const data = new Float64Array(n * p)
    const yb = new Float64Array(n)
    const yr = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const level = Math.floor(rng.next() * levels)
      data[i * p + level] = 1
      let m = 0.8 * (level - 2.5)
      for (let j = levels; j < p; j++) {
        const v = rng.normal()
        data[i * p + j] = v
        // A near-duplicate column as well (as minutes and charges in telecom data).
        if (j === p - 1) data[i * p + j] = data[i * p + levels]! * 3 + 1e-6 * v
        m += j === levels ? v : 0
      }
      yb[i] = rng.next() < 1 / (1 + Math.exp(-m)) ? 1 : 0
      yr[i] = m + rng.normal()
    }
    const x = { rows: n, cols: p, data }
    for (const model of [
      await new LogisticRegression({ penalty: 'l1', l2: 5 }).fit(x, yb),
      await new LogisticRegression({ penalty: 'l1', l2: 5 }).fit(
        x,
        Float64Array.from(yr, (v) => (v > 1 ? 2 : v > -1 ? 1 : 0)),
      ),
      await new LinearRegression({ penalty: 'l1', l2: 0.05 }).fit(x, yr),
    ]) {
      assert.ok(model.converged, `converged after ${model.iterations} iterations`)
      assert.ok(model.iterations <= 30, `${model.iterations} iterations`)
    }
  })

  it('rejects bad penalty params with typed errors naming the param', () => {
    const bad: (() => unknown)[] = [
      () => new LinearRegression({ penalty: 'l3' as 'l1' }),
      () => new LogisticRegression({ penalty: 'L1' as 'l1' }),
      () => new LinearRegression({ l1Ratio: 1.5 }),
      () => new LogisticRegression({ l1Ratio: -0.1 }),
      () => new LogisticRegression({ l1Ratio: Number.NaN }),
      () => new LinearRegression({ penalty: 'l1', solver: 'cholesky' }),
      () => new LinearRegression({ penalty: 'elasticnet', solver: 'lbfgs' }),
      () => new LogisticRegression({ penalty: 'l1', solver: 'lbfgs' }),
      () => new LogisticRegression({ penalty: 'elasticnet', solver: 'newton' }),
      () => new LinearRegression({ solver: 'newton-cd' as 'cd' }),
    ]
    const params = [
      'penalty',
      'penalty',
      'l1Ratio',
      'l1Ratio',
      'l1Ratio',
      'solver',
      'solver',
      'solver',
      'solver',
      'solver',
    ]
    bad.forEach((make, i) => {
      assert.throws(make, (e: unknown) => {
        const err = e as { code?: string; details?: { param?: string }; message?: string }
        assert.equal(err.code, 'INVALID_ARGUMENT')
        assert.equal(err.details?.param, params[i])
        assert.ok(err.message?.includes(`'${params[i]}'`), err.message)
        return true
      })
    })
  })
})
