// Faults injected for real on a cluster of two server workers (faults-child.ts, --workers 2): one
// worker is killed with SIGKILL under load.
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { test } from 'node:test'
import { testBackends } from '../helpers/test-backends.js'
import {
  childPids,
  freePort,
  killChild,
  load,
  ROW,
  sleep,
  startFaultsChild,
  waitFor,
} from './faults-helpers.js'

const CONCURRENCY = 8

/** One predict request on a connection of its own (fetch could reuse a keep-alive one to a dead worker). */
function predictOnFreshConnection(base: string): Promise<number> {
  const body = JSON.stringify({ features: ROW })
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}/v1/models/churn/predict`,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

for (const backend of testBackends()) {
  test(`${backend.name}: a worker killed with -9 under load: only its in-flight requests fail, the primary replaces it, the new worker serves`, {
    skip: backend.skip,
  }, async () => {
    const database = await backend.database()
    const server = await startFaultsChild({
      FAULTS_DB_URL: database.url,
      FAULTS_WORKERS: '2',
      FAULTS_DELAY_MS: '5',
      FAULTS_PORT: String(await freePort()),
    })
    try {
      const primary = server.child.pid!
      await waitFor('two workers', () => childPids(primary).length === 2, 90_000).catch((e: Error) => {
        throw new Error(`${e.message}: children ${childPids(primary).join(',')}; output:\n${server.output()}`)
      })
      const original = childPids(primary)
      const traffic = load(server.base, CONCURRENCY)
      try {
        await waitFor('300 acknowledged predictions', () => traffic.acked.length >= 300)
        const victim = original[0]!
        process.kill(victim, 'SIGKILL')
        const killedAt = Date.now()
        await waitFor(
          'a replacement worker',
          () => {
            const now = childPids(primary)
            return now.length === 2 && !now.includes(victim)
          },
          60_000,
        )
        const replacement = childPids(primary).find((p) => !original.includes(p))!
        const atReplacement = traffic.acked.length
        await waitFor(
          'more predictions after the replacement',
          () => traffic.acked.length >= atReplacement + 300,
          60_000,
        )
        // The failures are the killed worker's in-flight requests (at most one per client connection
        // that was on it), all at the kill, none afterwards.
        assert.ok(traffic.failures.length <= CONCURRENCY, JSON.stringify(traffic.failures))
        const late = traffic.failures.filter((f) => f.at > killedAt + 2000)
        assert.deepEqual(late, [], 'no failures once the worker is gone')
        await traffic.stop()
        const summary = `${traffic.acked.length} acked, ${traffic.failures.length} failed (in flight at the kill)`

        // The new worker serves: with the other original worker killed too, every request still succeeds
        // while the primary replaces that one (new connections, so the old keep-alive ones cannot hide it).
        const survivor = original[1]!
        await sleep(200)
        process.kill(survivor, 'SIGKILL')
        // Once the primary has seen the exit it no longer hands connections to that worker.
        await waitFor(
          'the primary to see the second kill',
          () => server.output().includes(`worker ${survivor} exited`),
          30_000,
        )
        // The replacement may still be starting (loading modules on a busy machine): wait for it.
        await waitFor(
          'a replacement worker to answer',
          () =>
            predictOnFreshConnection(server.base).then(
              (status) => status === 200,
              () => false,
            ),
          90_000,
        )
        const answers: number[] = []
        for (let i = 0; i < 30; i++) {
          answers.push(await predictOnFreshConnection(server.base))
        }
        assert.deepEqual([...new Set(answers)], [200], `the replacement worker ${replacement} answers`)
        assert.ok(childPids(primary).includes(replacement))
        assert.match(server.output(), new RegExp(`worker ${victim} exited \\(SIGKILL\\); starting a new one`))
        process.stdout.write(`# worker kill -9: ${summary}\n`)
      } finally {
        await traffic.stop()
      }
    } finally {
      // SIGKILL of the primary leaves its workers behind (they exit when the IPC channel closes).
      const workers = server.child.pid === undefined ? [] : childPids(server.child.pid)
      await killChild(server)
      for (const pid of workers) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // Already gone.
        }
      }
      await database.drop()
    }
  })
}
