// The serving e2e suites a second time with the predict fast path off (KEEL_TEST_FAST_PATH=0, read by
// `testFastPath()` in src/serve/testing.ts and by serve-child.ts): every request goes through Fastify,
// so both HTTP paths are held to the same tests. Their own files run them with it on (the default).
// One process for all: the suites run one after another here, each with its own databases.
import { TEST_FAST_PATH_ENV } from '../../src/serve/testing.js'

process.env[TEST_FAST_PATH_ENV] = '0'

await import('./serve-api.test.js')
await import('./serve-ab.test.js')
await import('./serve-log-rows.test.js')
await import('./serve-resilience.test.js')
await import('./serve-durability.test.js')
