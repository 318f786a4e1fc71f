import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { keelHome } from '../core/index.js'
import { openRegistry } from '../registry/index.js'
import { makeChurnData } from './churn-data.js'
import { buildChurnFeatures } from './churn-features.js'
import { type RunTrainingResult, runTraining } from './run.js'
import { resolveTaskSettings } from './settings.js'
import type { TrainProgress } from './workflow.js'

/** Where the quickstart put things, and what it measured. */
export interface QuickstartResult {
  readonly dir: string
  readonly taskFile: string
  readonly dataFile: string
  readonly reportFile: string
  readonly customers: number
  readonly transactions: number
  readonly training: RunTrainingResult
  readonly promoted: boolean
  readonly seconds: number
}

const TASK_FILE = `# Keel task file for the quickstart churn model (see README).
task: binary
data: churn.csv
target: churned
id: customer_id
positive_class: "yes"
metrics:
  - roc_auc
  - pr_auc
  - log_loss
  - precision_at_recall: 0.5
constraints:
  latency_ms: 100
  model_size_mb: 500
  interpretability: required
split:
  kind: stratified
  test_size: 0.2
  seed: 42
  folds: 5
`

/**
 * The main job on the embedded default: makes the bundled churn scenario (customers and their
 * transactions), engineers history features in DuckDB, writes a task file, trains baselines and
 * GBDT, registers the model and promotes it to production when it passes the constraints.
 */
export async function runQuickstart(
  options: { dir?: string; onProgress?: (event: TrainProgress) => void } = {},
): Promise<QuickstartResult> {
  const started = performance.now()
  const dir = options.dir ?? join(keelHome(), 'quickstart')
  mkdirSync(dir, { recursive: true })
  const raw = makeChurnData(dir, { customers: 5000, seed: 7 })
  const dataFile = join(dir, 'churn.csv')
  await buildChurnFeatures(raw, dataFile)
  const taskFile = join(dir, 'keel.yaml')
  if (!existsSync(taskFile)) writeFileSync(taskFile, TASK_FILE)
  const settings = await resolveTaskSettings({ config: taskFile })
  const { result } = await runTraining({
    dataPath: settings.data,
    target: settings.target,
    task: 'binary',
    ...(settings.positiveClass === undefined ? {} : { positiveClass: settings.positiveClass }),
    ...(settings.idColumn === undefined ? {} : { idColumn: settings.idColumn }),
    ...(settings.exclude === undefined ? {} : { exclude: settings.exclude }),
    ...(settings.metrics === undefined ? {} : { metrics: settings.metrics }),
    ...(settings.constraints === undefined ? {} : { constraints: settings.constraints }),
    model: 'gbdt',
    seed: settings.seed ?? 42,
    testSize: settings.testSize ?? 0.2,
    folds: settings.folds ?? 5,
    name: 'churn',
    experiment: 'quickstart',
    subgroups: ['plan', 'region'],
    reportPath: join(dir, 'report.html'),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  })
  let promoted = false
  if (result.eligibleForProduction) {
    const registry = await openRegistry()
    try {
      await registry.promote('churn', result.version, 'production', {
        actor: 'keel quickstart',
        reason: 'passed all hard constraints',
      })
      promoted = true
    } finally {
      await registry.close()
    }
  }
  return {
    dir,
    taskFile,
    dataFile,
    reportFile: join(dir, 'report.html'),
    customers: raw.nCustomers,
    transactions: raw.nTransactions,
    training: result,
    promoted,
    seconds: (performance.now() - started) / 1000,
  }
}
