// Child-process entry for the serving lifecycle tests (not a test itself): starts `startServer` with a
// fake `churn` model and prints "LISTENING <url>" on stdout. Settings come from the environment.
import { createMemoryModelSource, startServer } from '../../src/serve/index.js'
import { fakeModel } from '../helpers/serve-fixtures.js'

const env = process.env
const delayMs = env.CHILD_DELAY_MS === undefined ? undefined : Number(env.CHILD_DELAY_MS)
const slowMs = env.CHILD_SLOW_MS === undefined ? undefined : Number(env.CHILD_SLOW_MS)
// `slow` answers after CHILD_SLOW_MS: requests still in flight when a shutdown starts.
const source = createMemoryModelSource([
  fakeModel(delayMs === undefined ? {} : { delayMs }),
  ...(slowMs === undefined ? [] : [fakeModel({ name: 'slow', delayMs: slowMs })]),
])
await startServer({
  source,
  config: {
    models: slowMs === undefined ? ['churn'] : ['churn', { ref: 'slow', timeoutMs: 60_000 }],
    predictionLog: { flushIntervalMs: Number(env.CHILD_FLUSH_MS ?? 1000), batchSize: 200 },
    pollIntervalMs: 0,
    fastPath: env.CHILD_FAST_PATH !== '0',
    ...(env.CHILD_BODY_LIMIT === undefined ? {} : { bodyLimitBytes: Number(env.CHILD_BODY_LIMIT) }),
    timeouts: {
      shutdownMs: Number(env.CHILD_SHUTDOWN_MS ?? 10_000),
      headersMs: Number(env.CHILD_HEADERS_MS ?? 10_000),
      requestMs: Number(env.CHILD_REQUEST_MS ?? 30_000),
    },
  },
  db: env.CHILD_DB_URL ?? false,
  port: 0,
  workers: Number(env.CHILD_WORKERS ?? 1),
  logger: false,
  onListening: (url) => process.stdout.write(`LISTENING ${url}\n`),
})
