import type {
  Contribution,
  FeatureRow,
  FeatureSpec,
  ModelOutput,
  ServableModel,
} from '../../src/serve/index.js'

/**
 * Environment variable of the serving tests' fast-path toggle: `KEEL_TEST_FAST_PATH=0` runs them with
 * `fastPath: false` (every request through Fastify), anything else with the default (on).
 * @internal test helper
 */
export const TEST_FAST_PATH_ENV = 'KEEL_TEST_FAST_PATH'

/**
 * The `fastPath` setting serving tests start servers with (see `TEST_FAST_PATH_ENV`), so the same
 * suite checks both HTTP paths. @internal test helper
 */
export function testFastPath(): boolean {
  return process.env[TEST_FAST_PATH_ENV] !== '0'
}

/** Features of the fake churn model used by serving tests. */
export const FAKE_FEATURES: readonly FeatureSpec[] = [
  { name: 'age', kind: 'numeric', min: 0, max: 150 },
  { name: 'tenure', kind: 'numeric' },
  { name: 'plan', kind: 'categorical', levels: ['basic', 'pro', 'enterprise'], unknownLevel: 'reject' },
  { name: 'region', kind: 'categorical', levels: ['eu', 'us'], unknownLevel: 'missing', required: false },
  { name: 'active', kind: 'boolean' },
  { name: 'signup', kind: 'datetime', required: false },
]

/** Options of `fakeModel`. */
export interface FakeModelOptions {
  readonly name?: string
  readonly version?: number
  /** Added to the logit, so versions can be told apart by their outputs. */
  readonly bias?: number
  /** Throw on every call (after warm-up when `failAfterWarmup`). */
  readonly fail?: boolean
  readonly failAfterWarmup?: boolean
  /** Answer asynchronously after this many ms. */
  readonly delayMs?: number
  readonly features?: readonly FeatureSpec[]
  readonly explain?: boolean
}

/**
 * A deterministic logistic "churn" model for tests: P(churn) = σ(bias + 0.03·(age−40) − 0.05·tenure
 * + 0.5·[plan = basic] − 0.3·active). Counts its calls.
 * @internal test helper
 */
export function fakeModel(
  options: FakeModelOptions = {},
): ServableModel & { calls: number; rowsSeen: FeatureRow[] } {
  const bias = options.bias ?? 0
  let warmups = 3
  const terms = (row: FeatureRow): Contribution[] => [
    { feature: 'age', contribution: 0.03 * (Number(row.age ?? 40) - 40) },
    { feature: 'tenure', contribution: -0.05 * Number(row.tenure ?? 0) },
    { feature: 'plan', contribution: row.plan === 'basic' ? 0.5 : 0 },
    { feature: 'active', contribution: row.active === true ? -0.3 : 0 },
  ]
  const score = (row: FeatureRow): ModelOutput => {
    const logit = bias + terms(row).reduce((s, t) => s + t.contribution, 0)
    const p = 1 / (1 + Math.exp(-logit))
    return { prediction: p >= 0.5 ? 'yes' : 'no', probabilities: { no: 1 - p, yes: p } }
  }
  const model: ServableModel & { calls: number; rowsSeen: FeatureRow[] } = {
    name: options.name ?? 'churn',
    version: options.version ?? 1,
    task: 'binary',
    classes: ['no', 'yes'],
    features: options.features ?? FAKE_FEATURES,
    calls: 0,
    rowsSeen: [],
    predict(rows) {
      model.calls++
      const warming = warmups > 0
      if (warming) warmups--
      if (options.fail === true && !(options.failAfterWarmup === true && warming))
        throw new Error('injected model failure')
      if (!warming) model.rowsSeen.push(...rows)
      const out = rows.map(score)
      if (options.delayMs !== undefined && !warming)
        return new Promise((resolve) => setTimeout(() => resolve(out), options.delayMs))
      return out
    },
  }
  if (options.explain !== false)
    (model as { explain?: ServableModel['explain'] }).explain = (row, top) =>
      terms(row)
        .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
        .slice(0, top)
  return model
}

/** A valid row for `FAKE_FEATURES`. @internal test helper */
export function fakeRow(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    age: 42,
    tenure: 3,
    plan: 'basic',
    region: 'eu',
    active: true,
    signup: '2024-01-02T03:04:05Z',
    ...overrides,
  }
}
