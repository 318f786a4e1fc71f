import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { formatFuzzReport, fuzzServe } from '../../bench/fuzz-serve.js'
import { testBackends } from '../helpers/test-backends.js'

// A bounded run of the HTTP fuzzer (bench/fuzz-serve.ts runs it at any size): the same seeded,
// malformed requests through both HTTP paths of a real server. KEEL_FUZZ_SEED / KEEL_FUZZ_COUNT
// explore other inputs; a failure prints the cases to replay with `--only`.
const SEED = Number(process.env.KEEL_FUZZ_SEED ?? 13)
const COUNT = Number(process.env.KEEL_FUZZ_COUNT ?? 1000)

// On both stores: feedback and the prediction log write to the database the fuzzed requests reach.
describe('serve fuzz', () => {
  for (const backend of testBackends())
    for (const fastPath of [true, false]) {
      test(`${backend.name}, fast path ${fastPath ? 'on' : 'off'}: ${COUNT} malformed connections, no 5xx, no crash, none held past its limit`, {
        skip: backend.skip,
      }, async () => {
        const database = await backend.database()
        let report: Awaited<ReturnType<typeof fuzzServe>>
        try {
          report = await fuzzServe({ count: COUNT, seed: SEED, fastPath, db: database.url })
        } finally {
          await database.drop()
        }
        const text = formatFuzzReport(report)
        console.log(text)
        assert.equal(report.serverErrors, 0, text)
        assert.equal(report.crashes, 0, text)
        assert.equal(report.heldTooLong, 0, text)
        assert.ok(report.healthyAfter, text)
        // The run did exercise the server: most connections got an answer, of many kinds.
        assert.ok(report.responses > COUNT * 0.8, text)
        for (const status of ['200', '400', '401', '408', '413', '422'])
          assert.ok((report.statuses[status] ?? 0) > 0, `no ${status} in ${text}`)
      })
    }
})
