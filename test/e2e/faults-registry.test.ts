// `keel models promote` / `rollback` reaching a live `keel serve` under load, with the real registry
// (SQLite, and PostgreSQL when KEEL_TEST_DATABASE_URL is set): models trained by `keel train`, the
// server a child process (1 and 2 workers), aliases moved by the CLI while clients keep sending.
// Also a canary (traffic share, automatic rollback) and a registry-declared fallback that answers
// once the primary's circuit opens.
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { sql } from 'kysely'
import { openRegistry } from '../../src/registry/index.js'
import { openDb } from '../../src/store/index.js'
import { runCli } from '../helpers/cli.js'
import { type TestDatabase, testBackends } from '../helpers/test-backends.js'
import { metricSum, waitFor } from './faults-helpers.js'
import {
  type Answer,
  driveLoad,
  type Load,
  problemLines,
  type ServeProcess,
  startServe,
  stopServe,
  waitWorkersReady,
  writeSeededCsv,
} from './faults-registry-helpers.js'

/** The servers' poll interval: how often each worker re-resolves `fr@production`. */
const POLL_MS = 200
/**
 * Slack on top of the poll interval for a worker to resolve, load and warm the new version on a
 * loaded 2-core machine (measured: well under a second when idle).
 */
const SWAP_SLACK_MS = 5000
const CLIENTS = 6

const work = mkdtempSync(join(tmpdir(), 'keel-faults-registry-'))
const home = join(work, 'home')
/** The store `keel train` writes to; each backend's run gets a copy in a fresh database of its own. */
const seedUrl = `sqlite:${join(work, 'seed.db')}`
const baseEnv = { KEEL_HOME: home, USER: 'faults-registry', KEEL_DEBUG: '' }

// The models are trained once, by the CLI, into a seed SQLite store; each backend's run gets the same
// versions copied through the registry API into a fresh database (training is CPU-bound and the same
// on both stores; what differs per store is resolving, loading and moving aliases, which every case
// does through it).
before(async () => {
  const data = writeSeededCsv(work)
  const env = { ...baseEnv, KEEL_DATABASE_URL: seedUrl }
  const train = async (args: string[]): Promise<void> => {
    const r = await runCli(['train', '--data', data, '--target', 'y', '--seed', '1', '--json', ...args], {
      cwd: work,
      env,
      timeoutMs: 180_000,
    })
    assert.equal(r.code, 0, `keel train ${args.join(' ')} failed:\n${r.stderr}`)
  }
  // frlin@1: the fallback; fr@1 (linear, declares frlin@1 as its fallback); fr@2 (gbdt).
  await train(['--model', 'linear', '--name', 'frlin'])
  await train(['--model', 'linear', '--name', 'fr', '--fallback', 'frlin@1'])
  await train(['--model', 'gbdt', '--params', '{"nEstimators":20}', '--name', 'fr'])
  const promoted = await runCli(['models', 'promote', 'fr', '1', '--to', 'production', '--json'], {
    cwd: work,
    env,
  })
  assert.equal(promoted.code, 0, promoted.stderr)
  const registry = await openRegistry(seedUrl)
  try {
    // A second alias pinned to version 1, for the fallback case (its own breaker, see there).
    await registry.setAlias('fr', 1, 'stable')
  } finally {
    await registry.close()
  }
})

/** Copies every version (artifact, metadata, fallback) and alias of the seed registry into `url`. */
async function copyRegistry(url: string): Promise<void> {
  const from = await openRegistry(seedUrl)
  const to = await openRegistry(url)
  try {
    for (const name of ['frlin', 'fr']) {
      const detail = await from.getModel(name)
      for (const v of [...detail.versions].sort((a, b) => a.version - b.version)) {
        const { bytes } = await from.loadArtifact(`${name}@${v.version}`)
        await to.registerVersion({
          name,
          runId: v.runId,
          artifact: bytes,
          ...(v.featureSchema === null ? {} : { featureSchema: v.featureSchema }),
          metrics: v.metrics,
          constraints: v.constraints,
          ...(v.modelCard === null ? {} : { modelCard: v.modelCard }),
          fallback: v.fallback,
        })
      }
      for (const [alias, version] of Object.entries(detail.aliases)) await to.setAlias(name, version, alias)
    }
  } finally {
    await from.close()
    await to.close()
  }
}

/** The answers of `load` from `since` on. */
const answersSince = (load: Load, since: number): Answer[] => load.answers.filter((a) => a.at >= since)

/**
 * Moves `fr@production` with the CLI while both servers are under load, and checks every answer
 * from (alias move + poll interval + slack) on is `to`. Returns, per server, when its last answer of
 * the old version came (ms after the alias move).
 */
async function moveAndCheck(
  cliArgs: readonly string[],
  env: NodeJS.ProcessEnv,
  loads: readonly Load[],
  from: number,
  to: number,
): Promise<number[]> {
  // Every server answers with the old version first (so the switch below is a switch).
  for (const load of loads) {
    const since = Date.now()
    await waitFor(
      `answers of v${from}`,
      () => answersSince(load, since).some((a) => a.version === from),
      60_000,
    )
  }
  const started = Date.now()
  const moved = await runCli([...cliArgs, '--json'], { cwd: work, env })
  assert.equal(moved.code, 0, `keel ${cliArgs.join(' ')} failed:\n${moved.stderr}`)
  const change = JSON.parse(moved.stdout) as { toVersion: number; event: { at: string } }
  assert.equal(change.toVersion, to)
  // Measured from the alias move itself (the registry event's time), not from the CLI's exit.
  const movedAt = Date.parse(change.event.at)
  const deadline = movedAt + POLL_MS + SWAP_SLACK_MS
  for (const load of loads)
    await waitFor(
      `answers of v${to}`,
      () => answersSince(load, started).some((a) => a.version === to),
      POLL_MS + SWAP_SLACK_MS + (Date.now() - started),
    )
  // Keep the load on past the deadline, then no worker may still answer with the old version.
  const checkUntil = Math.max(deadline, Date.now()) + 1000
  await waitFor('the check window', () => Date.now() >= checkUntil, SWAP_SLACK_MS + 10_000)
  for (const load of loads) {
    const late = answersSince(load, deadline).filter((a) => a.version !== to)
    assert.equal(
      late.length,
      0,
      `answers of another version after the deadline: ${JSON.stringify(late.slice(0, 5))}`,
    )
    assert.ok(answersSince(load, deadline).length > 0, 'no answers after the deadline')
  }
  // When the last answer of the old version came (every connection, so every worker, had switched).
  return loads.map((load) => {
    const old = answersSince(load, started).filter((a) => a.version !== to)
    return old.length === 0 ? 0 : Math.max(...old.map((a) => a.at)) - movedAt
  })
}

for (const backend of testBackends()) {
  let db: TestDatabase | undefined
  let env: NodeJS.ProcessEnv = {}
  const servers: ServeProcess[] = []

  after(async () => {
    await Promise.all(servers.map((s) => stopServe(s)))
    await db?.drop()
  })

  test(`${backend.name}: promote and rollback reach every worker under load; canary; fallback`, {
    skip: backend.skip,
    timeout: 600_000,
  }, async (t) => {
    db = await backend.database()
    const url = db.url
    await copyRegistry(url)
    env = { ...baseEnv, KEEL_DATABASE_URL: url }
    const swapConfig = join(work, `swap-${backend.name}.yaml`)
    writeFileSync(swapConfig, `pollIntervalMs: ${POLL_MS}\n`)
    // The canary and fallback server: primary refs pinned to versions (not moved by the promotions).
    const faultConfig = join(work, `faults-${backend.name}.yaml`)
    writeFileSync(
      faultConfig,
      JSON.stringify({
        pollIntervalMs: POLL_MS,
        models: [
          { name: 'split', ref: 'fr@1', canary: { ref: 'fr@2', weight: 0.3 } },
          {
            name: 'guarded',
            ref: 'fr@1',
            // Any real call takes longer than 1 ns: the canary fails its latency limit after 10 calls.
            canary: { ref: 'fr@2', weight: 0.5, maxLatencyMs: 0.000001, minRequests: 10, windowSize: 10 },
          },
          {
            // fr@stable is fr@1, whose registry entry names frlin@1 as its fallback (keel train
            // --fallback). A 1 ns budget makes every call of it over budget, so its breaker opens at
            // the first call and the fallback answers from then on.
            name: 'fb',
            ref: 'fr@stable',
            timeoutMs: 0.000001,
            breaker: { failureThreshold: 1, coolDownMs: 3_600_000 },
          },
          // The fallback is judged by the same budget; its own breaker must not open in this test.
          { name: 'frlin', ref: 'frlin@1', breaker: { failureThreshold: 1_000_000 } },
        ],
      }),
    )
    // All three servers start together (starting one is most of this test's time).
    const startAt = Date.now()
    // Each is registered for the after hook as soon as it listens, so a failed start stops the others.
    const serve = async (args: string[]): Promise<ServeProcess> => {
      const server = await startServe(args, { cwd: work, env })
      servers.push(server)
      return server
    }
    const [one, two, faults] = await Promise.all([
      serve(['--models', 'fr@production', '--config', swapConfig, '--workers', '1']),
      serve(['--models', 'fr@production', '--config', swapConfig, '--workers', '2']),
      serve(['--config', faultConfig, '--workers', '1']),
    ])
    t.diagnostic(`3 servers listening after ${Date.now() - startAt} ms`)
    await Promise.all([
      waitWorkersReady(one.base, 1),
      waitWorkersReady(two.base, 2),
      waitWorkersReady(faults.base, 1),
    ])

    await t.test(
      'promote v2 under load: every worker switches within the poll interval, no failures',
      async () => {
        const loads = [driveLoad(one.base, 'fr', CLIENTS), driveLoad(two.base, 'fr', CLIENTS)]
        try {
          const promoteMs = await moveAndCheck(
            ['models', 'promote', 'fr', '2', '--to', 'production', '--reason', 'faults-registry'],
            env,
            loads,
            1,
            2,
          )
          const rollbackMs = await moveAndCheck(['models', 'rollback', 'fr'], env, loads, 2, 1)
          t.diagnostic(
            `last answer of the old version after the alias move (w1, w2): promote ${promoteMs.join(', ')} ms; rollback ${rollbackMs.join(', ')} ms`,
          )
        } finally {
          await Promise.all(loads.map((l) => l.stop()))
        }
        for (const [i, load] of loads.entries()) {
          assert.deepEqual(load.failures, [], `server ${i + 1}: failed requests`)
          assert.ok(load.answers.length > 50, `server ${i + 1}: only ${load.answers.length} answers`)
          assert.ok(load.answers.every((a) => a.servedBy === 'primary' && a.model === 'fr'))
        }
        // Each worker swapped twice (promote, rollback).
        assert.equal(await metricSum(one.base, 'keel_model_swaps_total'), 2)
        for (const s of [one, two])
          assert.deepEqual(problemLines(s.output(), 40), [], 'log lines at warn or above')
      },
    )

    await t.test(
      'a promoted version whose artifact was tampered with never serves; no failures',
      async () => {
        const registry = await openRegistry(url)
        const store = await openDb(url)
        const loads = [driveLoad(one.base, 'fr', CLIENTS), driveLoad(two.base, 'fr', CLIENTS)]
        try {
          // fr@3: a real bundle (fr@2's), then one byte changed in the stored artifact.
          const { bytes } = await registry.loadArtifact('fr@2')
          assert.equal((await registry.registerVersion({ name: 'fr', artifact: bytes })).version, 3)
          const corrupt = Buffer.concat([Buffer.from(bytes), Buffer.from(' ')])
          await sql`update registry_versions set artifact = ${corrupt} where name = 'fr' and version = 3`.execute(
            store.typed(),
          )
          const swapsBefore = await metricSum(two.base, 'keel_model_swaps_total')
          await registry.promote('fr', 3)
          // Every worker tries (and logs the failure once), none swaps; then the alias goes back.
          await waitFor(
            'a load failure logged by each worker',
            () => [one, two].every((s, i) => s.output().match(/failed to load; retrying/g)?.length === i + 1),
            60_000,
          )
          const since = Date.now()
          await waitFor('more answers', () => loads.every((l) => answersSince(l, since).length >= 50), 60_000)
          await registry.rollback('fr')
          await waitFor(
            'the recovery logged by each worker',
            () =>
              [one, two].every((s, i) => s.output().match(/its load failures are over/g)?.length === i + 1),
            60_000,
          )
          assert.equal(await metricSum(two.base, 'keel_model_swaps_total'), swapsBefore)
        } finally {
          await Promise.all(loads.map((l) => l.stop()))
          await registry.close()
          await store.close()
        }
        for (const load of loads) {
          assert.deepEqual(load.failures, [])
          assert.ok(load.answers.every((a) => a.version === 1))
        }
        for (const s of [one, two]) {
          assert.deepEqual(problemLines(s.output(), 50), [])
          const warnings = problemLines(s.output(), 40)
          assert.ok(
            warnings.every((l) => /fr@production/.test(l)),
            warnings.join('\n'),
          )
          assert.match(s.output(), /Refusing the artifact of fr@3: its SHA-256 is/)
        }
      },
    )

    await t.test('canary: both versions answer in the configured share', async () => {
      const load = driveLoad(faults.base, 'split', CLIENTS)
      try {
        await waitFor('400 answers', () => load.answers.length >= 400, 120_000)
      } finally {
        await load.stop()
      }
      assert.deepEqual(load.failures, [])
      const canary = load.answers.filter((a) => a.variant === 'canary')
      const stable = load.answers.filter((a) => a.variant === 'default')
      assert.equal(canary.length + stable.length, load.answers.length)
      assert.ok(canary.every((a) => a.version === 2) && stable.every((a) => a.version === 1))
      const share = canary.length / load.answers.length
      // 400 draws at p = 0.3: the standard deviation of the share is 0.023; ±0.1 is over 4 of them.
      assert.ok(share > 0.2 && share < 0.4, `canary share ${share.toFixed(3)}, configured 0.3`)
    })

    await t.test(
      'canary over its latency limit is rolled back automatically, without failed requests',
      async () => {
        const load = driveLoad(faults.base, 'guarded', CLIENTS)
        let rolledBackAt = 0
        try {
          await waitFor(
            'the canary rollback',
            async () => {
              const info = (await (await fetch(`${faults.base}/v1/models/guarded`)).json()) as {
                canary?: { rolledBack: boolean; reason?: string }
              }
              if (info.canary?.rolledBack !== true) return false
              assert.match(info.canary.reason ?? '', /mean latency .* > 0\.000001 ms/)
              rolledBackAt = Date.now()
              return true
            },
            60_000,
          )
          const since = Date.now()
          await waitFor('answers after the rollback', () => answersSince(load, since).length >= 100, 60_000)
        } finally {
          await load.stop()
        }
        assert.deepEqual(load.failures, [])
        assert.ok(
          load.answers.some((a) => a.variant === 'canary' && a.version === 2),
          'the canary never answered',
        )
        // Requests sent once the rollback was seen; one already in flight may still be the canary's.
        const afterRollback = load.answers.filter((a) => a.sentAt >= rolledBackAt)
        assert.ok(afterRollback.length > 0)
        assert.ok(afterRollback.every((a) => a.variant === 'default' && a.version === 1))
        assert.equal(await metricSum(faults.base, 'keel_canary_rollbacks_total'), 1)
        assert.match(faults.output(), /canary fr@2 of 'guarded' rolled back/)
      },
    )

    await t.test('fallback declared in the registry answers once the primary circuit opens', async () => {
      const info = (await (await fetch(`${faults.base}/v1/models/fb`)).json()) as {
        fallback?: string
        version?: number
      }
      assert.equal(info.fallback, 'frlin@1')
      assert.equal(info.version, 1)
      const load = driveLoad(faults.base, 'fb', CLIENTS)
      try {
        await waitFor(
          '100 fallback answers',
          () => load.answers.filter((a) => a.servedBy === 'fallback').length >= 100,
          60_000,
        )
      } finally {
        await load.stop()
      }
      assert.deepEqual(load.failures, [])
      const first = load.answers.findIndex((a) => a.servedBy === 'fallback')
      // Only calls that started before the circuit opened (one per client at most) got the primary.
      assert.ok(first <= CLIENTS, `primary answered ${first} times before the fallback`)
      for (const a of load.answers.slice(first))
        assert.deepEqual([a.servedBy, a.model, a.version], ['fallback', 'frlin', 1])
      assert.ok((await metricSum(faults.base, 'keel_fallbacks_total')) >= 100)
      assert.equal(await metricSum(faults.base, 'keel_circuit_open'), 1)
    })

    // Nothing logged an error; warnings only for the canary rollback.
    const warnings = problemLines(faults.output(), 40)
    assert.deepEqual(problemLines(faults.output(), 50), [])
    assert.ok(
      warnings.every((l) => /rolled back/.test(l)),
      `unexpected warnings:\n${warnings.join('\n')}`,
    )
    const codes = await Promise.all(servers.splice(0).map((s) => stopServe(s)))
    assert.deepEqual(codes, [0, 0, 0], 'graceful exits')
  })
}
