import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { testBackends } from '../../test/helpers/test-backends.js'
import { sha256 } from '../core/index.js'
import type { KeelDb } from '../store/index.js'
import { openTrackingStore, type TrackingStore, withRun } from './index.js'
import type { TrackTables } from './migrations.js'

const DAY_MS = 86_400_000

async function withStore(open: () => Promise<KeelDb>, body: (s: TrackingStore, db: KeelDb) => Promise<void>) {
  const db = await open()
  const store = await openTrackingStore(db)
  try {
    await body(store, db)
  } finally {
    await store.close()
    await db.close()
  }
}

for (const backend of testBackends()) {
  test(`${backend.name}: runs record params, metrics, tags, provenance and finish`, {
    skip: backend.skip,
  }, async () => {
    await withStore(backend.open, async (store) => {
      const run = await store.createRun({
        experiment: 'churn',
        name: 'gbdt-1',
        params: { nEstimators: 200, learningRate: 0.1, hidden: [64, 32], loss: 'logloss', flag: true },
        tags: { model: 'gbdt' },
        seed: 7,
        datasetFingerprint: 'abc123',
        schema: { columns: [{ name: 'age', kind: 'numeric' }] },
        gitCommit: null,
        packageVersions: { 'keel-ml': '0.1.0' },
        host: 'test-host',
        user: 'alice',
      })
      assert.equal(run.status, 'running')
      assert.equal(run.id.length, 32)
      await store.logMetrics(run.id, { roc_auc: 0.91, logloss: 0.3, undefined_metric: Number.NaN })
      await store.logMetrics(run.id, { roc_auc: 0.92 })
      await store.logParams(run.id, { maxDepth: 6 })
      await store.setTags(run.id, { stage: 'candidate', model: 'gbdt-v2' })
      await store.annotate(run.id, 'beats the baseline by 0.12 AUC', { author: 'bob' })
      const finished = await store.finishRun(run.id.slice(0, 8), {
        status: 'finished',
        timingsMs: { fit: 1200 },
        finishedAt: new Date(Date.parse(run.startedAt) + 5000),
      })
      assert.equal(finished.status, 'finished')
      assert.equal(finished.durationMs, 5000)
      assert.deepEqual(finished.timingsMs, { fit: 1200 })
      await assert.rejects(store.finishRun(run.id, { status: 'finished', timingsMs: { fit: Number.NaN } }), {
        code: 'INVALID_ARGUMENT',
      })

      const detail = await store.getRun(run.id)
      assert.deepEqual(detail.params, {
        flag: true,
        hidden: [64, 32],
        learningRate: 0.1,
        loss: 'logloss',
        maxDepth: 6,
        nEstimators: 200,
      })
      assert.equal(detail.metrics.roc_auc, 0.92)
      assert.equal(detail.metrics.logloss, 0.3)
      assert.ok(Number.isNaN(detail.metrics.undefined_metric))
      assert.deepEqual(detail.tags, { model: 'gbdt-v2', stage: 'candidate' })
      assert.equal(detail.seed, 7)
      assert.equal(detail.datasetFingerprint, 'abc123')
      assert.deepEqual(detail.schema, { columns: [{ name: 'age', kind: 'numeric' }] })
      assert.equal(detail.gitCommit, null)
      assert.equal(detail.host, 'test-host')
      assert.equal(detail.user, 'alice')
      assert.deepEqual(detail.packageVersions, { 'keel-ml': '0.1.0' })
      assert.equal(detail.notes.length, 1)
      assert.equal(detail.notes[0]?.author, 'bob')

      const experiments = await store.listExperiments()
      assert.deepEqual(
        experiments.map((e) => [e.name, e.runCount]),
        [['churn', 1]],
      )
      await assert.rejects(store.createExperiment('churn'), { code: 'CONFLICT' })
      assert.equal((await store.getOrCreateExperiment('other')).runCount, 0)
    })
  })

  test(`${backend.name}: metric series are step-indexed and replace points at the same step`, {
    skip: backend.skip,
  }, async () => {
    await withStore(backend.open, async (store) => {
      const run = await store.createRun({ experiment: 'e', gitCommit: null })
      await store.logMetricSeries(run.id, 'valid_loss', new Float64Array([0.9, 0.7, 0.6]))
      await store.logMetricSeries(run.id, 'valid_loss', [0.55, 0.5], { startStep: 3 })
      await store.logMetricSeries(run.id, 'valid_loss', [{ step: 0, value: 0.95 }])
      await store.logMetricSeries(run.id, 'train_loss', [{ step: 10, value: 0.4, timestampMs: 1000 }])
      const { series } = await store.getRun(run.id)
      assert.deepEqual(
        series.valid_loss?.map((p) => [p.step, p.value]),
        [
          [0, 0.95],
          [1, 0.7],
          [2, 0.6],
          [3, 0.55],
          [4, 0.5],
        ],
      )
      assert.deepEqual(series.train_loss, [{ step: 10, value: 0.4, timestampMs: 1000 }])
      await assert.rejects(store.logMetricSeries(run.id, 'x', [{ step: 0.5, value: 1 }]), {
        code: 'INVALID_ARGUMENT',
      })
    })
  })

  test(`${backend.name}: listRuns filters by experiment, tag, metric and date, and orders by metric`, {
    skip: backend.skip,
  }, async () => {
    await withStore(backend.open, async (store) => {
      const now = Date.now()
      const specs = [
        { exp: 'a', model: 'gbdt', auc: 0.95, daysAgo: 1 },
        { exp: 'a', model: 'linear', auc: 0.85, daysAgo: 2 },
        { exp: 'a', model: 'gbdt', auc: 0.75, daysAgo: 10 },
        { exp: 'b', model: 'gbdt', auc: 0.99, daysAgo: 3 },
        { exp: 'a', model: 'mlp', auc: undefined, daysAgo: 0 },
      ]
      const ids: string[] = []
      for (const s of specs) {
        const run = await store.createRun({
          experiment: s.exp,
          tags: { model: s.model },
          gitCommit: null,
          startedAt: new Date(now - s.daysAgo * DAY_MS),
        })
        if (s.auc !== undefined) await store.logMetrics(run.id, { roc_auc: s.auc })
        ids.push(run.id)
      }
      const idsOf = (runs: readonly { id: string }[]) => runs.map((r) => ids.indexOf(r.id))

      assert.deepEqual(idsOf(await store.listRuns({ experiment: 'a' })), [4, 0, 1, 2])
      assert.deepEqual(idsOf(await store.listRuns({ experiment: 'a', metrics: ['roc_auc>0.8'] })), [0, 1])
      assert.deepEqual(idsOf(await store.listRuns({ metrics: ['roc_auc>=0.85', 'roc_auc<0.99'] })), [0, 1])
      assert.deepEqual(
        idsOf(await store.listRuns({ metrics: [{ metric: 'roc_auc', op: '!=', value: 0.95 }] })),
        [1, 3, 2],
      )
      assert.deepEqual(idsOf(await store.listRuns({ tags: { model: 'gbdt' } })), [0, 3, 2])
      assert.deepEqual(idsOf(await store.listRuns({ since: new Date(now - 2.5 * DAY_MS) })), [4, 0, 1])
      assert.deepEqual(idsOf(await store.listRuns({ until: new Date(now - 2.5 * DAY_MS) })), [3, 2])
      assert.deepEqual(idsOf(await store.listRuns({ orderBy: { metric: 'roc_auc' } })), [3, 0, 1, 2, 4])
      assert.deepEqual(
        idsOf(await store.listRuns({ orderBy: { metric: 'roc_auc', direction: 'asc' }, limit: 2 })),
        [2, 1],
      )
      assert.deepEqual(idsOf(await store.listRuns({ limit: 2, offset: 1 })), [0, 1])
      assert.deepEqual(idsOf(await store.listRuns({ offset: 3 })), [3, 2])
      await assert.rejects(store.listRuns({ metrics: ['roc_auc>>1'] }), { code: 'INVALID_ARGUMENT' })
    })
  })

  test(`${backend.name}: compareRuns aligns params and metrics and marks differences`, {
    skip: backend.skip,
  }, async () => {
    await withStore(backend.open, async (store) => {
      const a = await store.createRun({ experiment: 'e', params: { depth: 3, lr: 0.1 }, gitCommit: null })
      const b = await store.createRun({ experiment: 'e', params: { depth: 5, lr: 0.1 }, gitCommit: null })
      await store.logMetrics(a.id, { auc: 0.8 })
      await store.logMetrics(b.id, { auc: 0.9, f1: 0.7 })
      const cmp = await store.compareRuns([b.id, a.id])
      assert.deepEqual(
        cmp.runs.map((r) => r.id),
        [b.id, a.id],
      )
      assert.deepEqual(cmp.params, [
        { key: 'depth', values: [5, 3], differs: true },
        { key: 'lr', values: [0.1, 0.1], differs: false },
      ])
      assert.deepEqual(cmp.metrics, [
        { key: 'auc', values: [0.9, 0.8], differs: true },
        { key: 'f1', values: [0.7, null], differs: true },
      ])
    })
  })

  test(`${backend.name}: artifacts keep hashes; tampered stored bytes are refused`, {
    skip: backend.skip,
  }, async () => {
    await withStore(backend.open, async (store, db) => {
      const run = await store.createRun({ experiment: 'e', gitCommit: null })
      const bytes = new TextEncoder().encode('{"report":true}')
      const stored = await store.logArtifact(run.id, { kind: 'bytes', name: 'report.json', bytes })
      assert.equal(stored.sha256, sha256(bytes))
      assert.equal(stored.isStored, true)
      assert.deepEqual(await store.getArtifact(run.id, 'report.json'), bytes)
      await db
        .typed<TrackTables>()
        .updateTable('track_artifacts')
        .set({ content: Buffer.from('{"report":false}') })
        .where('name', '=', 'report.json')
        .execute()
      await assert.rejects(store.getArtifact(run.id, 'report.json'), { code: 'ARTIFACT_TAMPERED' })

      const dir = mkdtempSync(join(tmpdir(), 'keel-track-art-'))
      const file = join(dir, 'model.json')
      writeFileSync(file, 'v1')
      const byPath = await store.logArtifact(run.id, { kind: 'path', name: 'model', path: file })
      assert.equal(byPath.path, file)
      assert.equal(byPath.sizeBytes, 2)
      writeFileSync(file, 'v2')
      await assert.rejects(store.getArtifact(run.id, 'model'), { code: 'ARTIFACT_TAMPERED' })
      await assert.rejects(store.getArtifact(run.id, 'nope'), { code: 'NOT_FOUND' })
      const detail = await store.getRun(run.id)
      assert.deepEqual(
        detail.artifacts.map((a) => a.name),
        ['model', 'report.json'],
      )
    })
  })

  test(`${backend.name}: unknown and ambiguous run ids are typed errors`, {
    skip: backend.skip,
  }, async () => {
    await withStore(backend.open, async (store) => {
      await assert.rejects(store.getRun('0123456789abcdef0123456789abcdef'), { code: 'NOT_FOUND' })
      await assert.rejects(store.logMetrics('nope', { a: 1 }), { code: 'NOT_FOUND' })
      await assert.rejects(store.compareRuns(['nope']), { code: 'NOT_FOUND' })
      const ids = new Set<string>()
      // Prefixes shorter than 6 characters are never resolved, so short ids cannot hit the wrong run.
      for (let i = 0; i < 3; i++) ids.add((await store.createRun({ experiment: 'e', gitCommit: null })).id)
      const first = [...ids][0]!
      await assert.rejects(store.getRun(first.slice(0, 3)), { code: 'NOT_FOUND' })
      assert.equal((await store.getRun(first.slice(0, 10))).id, first)
    })
  })

  test(`${backend.name}: withRun finishes the run, and marks it failed when the body throws`, {
    skip: backend.skip,
  }, async () => {
    await withStore(backend.open, async (store) => {
      const value = await withRun(store, { experiment: 'e', gitCommit: null }, async (run) => {
        await run.logMetrics({ auc: 0.5 })
        return 42
      })
      assert.equal(value, 42)
      await assert.rejects(
        withRun(store, { experiment: 'e', gitCommit: null }, async () => {
          throw new Error('fit exploded\nstack')
        }),
        /fit exploded/,
      )
      const runs = await store.listRuns({ experiment: 'e' })
      assert.deepEqual(runs.map((r) => r.status).sort(), ['failed', 'finished'])
      assert.equal(runs.find((r) => r.status === 'failed')?.error, 'fit exploded')
    })
  })
}
