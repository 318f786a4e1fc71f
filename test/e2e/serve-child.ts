// Child-process entry for the serving durability tests (not a test itself): starts `startServer` with
// fake models and prints "LISTENING <url>" on stdout. Settings come from the environment.
import cluster from 'node:cluster'
import { createMemoryModelSource, startServer } from '../../src/serve/index.js'
import { fakeModel, testFastPath } from '../helpers/serve-fixtures.js'

const env = process.env
const delayMs = env.CHILD_DELAY_MS === undefined ? undefined : Number(env.CHILD_DELAY_MS)
// CHILD_VERSION_IS_WORKER=1: the model's version is the cluster worker's id, so every response (and
// its metrics series) names the worker that served it.
const version = env.CHILD_VERSION_IS_WORKER === '1' ? (cluster.worker?.id ?? 1) : 1
const source = createMemoryModelSource([
  fakeModel(delayMs === undefined ? { version } : { delayMs, version }),
])
await startServer({
  source,
  config: {
    models: ['churn'],
    predictionLog: { flushIntervalMs: Number(env.CHILD_FLUSH_MS ?? 100), batchSize: 200 },
    pollIntervalMs: 0,
    // KEEL_TEST_FAST_PATH=0 (inherited from the test): every request through Fastify.
    fastPath: testFastPath(),
  },
  db: env.CHILD_DB_URL ?? false,
  port: 0,
  workers: Number(env.CHILD_WORKERS ?? 1),
  // CHILD_LOG_LEVEL (e.g. warn): the server's own JSON log on stderr, which tests check for errors.
  logger: env.CHILD_LOG_LEVEL === undefined ? false : { level: env.CHILD_LOG_LEVEL },
  onListening: (url) => process.stdout.write(`LISTENING ${url}\n`),
})
