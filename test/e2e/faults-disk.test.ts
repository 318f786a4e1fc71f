// Faults injected for real on the prediction log's SQLite file: KEEL_HOME (and the database in it)
// lives on a small tmpfs of its own, which the test fills to the last byte while the server answers
// predictions, then frees again. Needs mount (root); skipped visibly where tmpfs cannot be mounted.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { killChild, load, metricSum, type ServerChild, startFaultsChild, waitFor } from './faults-helpers.js'

function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Writes zeros to `path` until the file system is full (ENOSPC). */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w')
  const chunk = Buffer.alloc(4096)
  try {
    for (;;) writeSync(fd, chunk)
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOSPC') throw error
  } finally {
    closeSync(fd)
  }
}

const probe = mkdtempSync(join(tmpdir(), 'keel-faults-probe-'))
const canMount = mountTmpfs(probe, '1m')
if (canMount) execFileSync('umount', [probe])
rmSync(probe, { recursive: true, force: true })

test('KEEL_HOME disk full during prediction log writes: predictions keep answering, one log line per episode, drops counted, queued rows written when space returns', {
  skip: canMount ? false : 'cannot mount a tmpfs here (needs root)',
}, async () => {
  const home = mkdtempSync(join(tmpdir(), 'keel-faults-disk-'))
  assert.ok(mountTmpfs(home, '8m'))
  const filler = join(home, 'filler')
  const maxQueue = 400
  const batchSize = 100
  let server: ServerChild | undefined
  try {
    server = await startFaultsChild({
      KEEL_HOME: home,
      FAULTS_DB_URL: `sqlite:${join(home, 'keel.db')}`,
      FAULTS_FLUSH_MS: '100',
      FAULTS_BATCH: String(batchSize),
      FAULTS_MAX_QUEUE: String(maxQueue),
    })
    const { base } = server
    const traffic = load(base, 4)
    let maxDepth = 0
    try {
      await waitFor('200 acknowledged predictions', () => traffic.acked.length >= 200)
      await waitFor(
        'the first rows to be logged',
        async () => (await metricSum(base, 'keel_prediction_log_written_total')) > 0,
      )
      fillDisk(filler)
      // Writes fail (SQLITE_FULL) and queue up to maxQueue; beyond that entries are dropped, counted.
      await waitFor(
        'rows to be dropped while the disk is full',
        async () => {
          maxDepth = Math.max(maxDepth, await metricSum(base, 'keel_prediction_log_queue_depth'))
          return (await metricSum(base, 'keel_prediction_log_dropped_total')) > 0
        },
        60_000,
      )
      const ackedWhileFull = traffic.acked.length
      await waitFor(
        'more predictions while the disk is full',
        () => traffic.acked.length >= ackedWhileFull + 200,
      )
      maxDepth = Math.max(maxDepth, await metricSum(base, 'keel_prediction_log_queue_depth'))
      // Bounded: appends stop at maxQueue; the batch in flight when a write fails goes back on top.
      assert.ok(maxDepth <= maxQueue + batchSize, `queue depth ${maxDepth} exceeds maxQueue + batchSize`)
      assert.ok((await fetch(`${base}/health`)).ok)

      rmSync(filler)
      await waitFor(
        'queued rows to be written once space returns',
        async () => (await metricSum(base, 'keel_prediction_log_queue_depth')) === 0,
        30_000,
      )
    } finally {
      await traffic.stop()
    }
    assert.deepEqual(traffic.failures.slice(0, 5), [], 'every prediction is answered while the disk is full')

    // Every acknowledged prediction is either in the log or counted as dropped: none vanish silently.
    await waitFor(
      'the log to drain after the load stopped',
      async () => (await metricSum(base, 'keel_prediction_log_queue_depth')) === 0,
      30_000,
    )
    await new Promise((r) => setTimeout(r, 300))
    const dropped = await metricSum(base, 'keel_prediction_log_dropped_total')
    const db = new Database(join(home, 'keel.db'), { readonly: true })
    let logged: Set<string>
    try {
      logged = new Set(
        (db.prepare('select id from serve_predictions').all() as { id: string }[]).map((r) => r.id),
      )
      assert.equal((db.pragma('integrity_check') as { integrity_check: string }[])[0]?.integrity_check, 'ok')
    } finally {
      db.close()
    }
    const ackedIds = traffic.acked.map((a) => a.id)
    const notLogged = ackedIds.filter((id) => !logged.has(id)).length
    assert.ok(dropped > 0)
    assert.equal(notLogged, dropped, 'acknowledged but not logged = counted as dropped')

    const lines = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string; dbCode?: string; droppedRows?: number })
      .filter((l) => l.level >= 40)
    const failing = lines.filter((l) => l.msg.startsWith('prediction log writes failing'))
    assert.equal(failing.length, 1, server.output())
    assert.match(failing[0]!.dbCode ?? '', /^SQLITE_FULL/)
    const recovered = lines.filter((l) => l.msg === 'prediction log writes recovered')
    assert.equal(recovered.length, 1, server.output())
    assert.equal(lines.length, 2, `only the two episode lines expected:\n${server.output()}`)
    assert.ok(!server.output().includes('"stack"'))
    process.stdout.write(
      `# disk full: ${ackedIds.length} acked, ${logged.size} logged, ${dropped} dropped (counted), max queue depth ${maxDepth}\n`,
    )
  } finally {
    if (server !== undefined) await killChild(server)
    try {
      execFileSync('umount', [home])
    } catch {
      execFileSync('umount', ['-l', home])
    }
    rmSync(home, { recursive: true, force: true })
  }
})
