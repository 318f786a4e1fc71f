// Child-process entry for the monitoring cluster test (not a test itself): serves churn@production
// from the registry in KEEL_HOME with 2 workers and prints "LISTENING <url>".
import { startServer } from '../../src/serve/index.js'
import { createRegistryModelSource } from '../../src/train/index.js'

const source = await createRegistryModelSource()
await startServer({
  source,
  config: {
    models: ['churn@production'],
    predictionLog: { flushIntervalMs: 50, batchSize: 200 },
    monitor: { minRows: 20, intervalMs: 3_600_000, shareThreshold: 0.1 },
  },
  port: 0,
  workers: 2,
  logger: false,
  onListening: (url) => process.stdout.write(`LISTENING ${url}\n`),
})
