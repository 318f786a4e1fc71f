import assert from 'node:assert/strict'
import { test } from 'node:test'
import { testBackends } from '../../test/helpers/test-backends.js'
import { sha256 } from '../core/index.js'
import type { KeelDb } from '../store/index.js'
import { type ModelRegistry, openRegistry } from './index.js'
import type { RegistryTables } from './migrations.js'

const BUNDLE = (n: number) => JSON.stringify({ format: 'pipeline', formatVersion: 1, kind: 'test', n })

async function withRegistry(
  open: () => Promise<KeelDb>,
  body: (r: ModelRegistry, db: KeelDb) => Promise<void>,
) {
  const db = await open()
  const registry = await openRegistry(db)
  try {
    await body(registry, db)
  } finally {
    await registry.close()
    await db.close()
  }
}

async function registerThree(registry: ModelRegistry): Promise<void> {
  for (let n = 1; n <= 3; n++) {
    await registry.registerVersion({ name: 'churn', runId: `run${n}`, artifact: BUNDLE(n), actor: 'trainer' })
  }
}

for (const backend of testBackends()) {
  test(`${backend.name}: versions are numbered, stored with their hash and metadata, and load back`, {
    skip: backend.skip,
  }, async () => {
    await withRegistry(backend.open, async (registry) => {
      const v1 = await registry.registerVersion({
        name: 'churn',
        runId: 'abc',
        artifact: BUNDLE(1),
        featureSchema: { features: [{ name: 'age', kind: 'numeric' }] },
        metrics: { roc_auc: 0.9, weird: Number.NaN },
        constraints: [{ name: 'latency', passed: true, measured: 0.5, limit: 100, unit: 'ms' }],
        modelCard: {
          task: { kind: 'binary-classification', target: 'churned' },
          data: { source: 'x.csv' },
          intendedUse: { primary: 'ranking' },
          // An undefined metric (NaN) must survive the JSON round trip, not break the card.
          metrics: { roc_auc: 0.9, pr_auc: Number.NaN },
          limitations: [],
        },
        fallback: 'churn-linear@production',
        description: 'first',
        actor: 'alice',
      })
      const v2 = await registry.registerVersion({
        name: 'churn',
        artifact: new TextEncoder().encode(BUNDLE(2)),
      })
      assert.equal(v1.version, 1)
      assert.equal(v2.version, 2)
      assert.equal(v1.artifactSha256, sha256(BUNDLE(1)))
      assert.equal(v1.createdBy, 'alice')
      assert.equal(v1.runId, 'abc')
      assert.equal(v1.fallback, 'churn-linear@production')
      assert.equal(v1.metrics.roc_auc, 0.9)
      assert.ok(Number.isNaN(v1.metrics.weird))
      assert.deepEqual(v1.featureSchema, { features: [{ name: 'age', kind: 'numeric' }] })
      assert.equal(v1.modelCard?.task.target, 'churned')
      assert.ok(Number.isNaN(v1.modelCard?.metrics.pr_auc))
      assert.equal(v2.runId, null)

      const loaded = await registry.loadArtifact('churn@1')
      assert.equal(new TextDecoder().decode(loaded.bytes), BUNDLE(1))
      assert.equal(loaded.model.version, 1)
      // A bare name without production resolves to the latest version.
      assert.deepEqual(await registry.resolve('churn'), {
        name: 'churn',
        version: 2,
        alias: null,
        ref: 'churn@2',
      })
      assert.equal((await registry.resolve('churn@latest')).version, 2)

      await assert.rejects(registry.registerVersion({ name: 'bad name', artifact: 'x' }), {
        code: 'INVALID_ARGUMENT',
      })
      await assert.rejects(registry.registerVersion({ name: 'churn', artifact: 'x', fallback: 'a@@b' }), {
        code: 'INVALID_ARGUMENT',
      })
      const badConstraint = [{ name: 'size', passed: 'yes' }] as unknown as []
      await assert.rejects(
        registry.registerVersion({ name: 'churn', artifact: 'x', constraints: badConstraint }),
        {
          code: 'INVALID_ARGUMENT',
          message: /passed/,
        },
      )
    })
  })

  test(`${backend.name}: a tampered artifact is refused with ARTIFACT_TAMPERED`, {
    skip: backend.skip,
  }, async () => {
    await withRegistry(backend.open, async (registry, db) => {
      await registry.registerVersion({ name: 'churn', artifact: BUNDLE(1) })
      await db
        .typed<RegistryTables>()
        .updateTable('registry_versions')
        .set({ artifact: Buffer.from(BUNDLE(666)) })
        .where('name', '=', 'churn')
        .execute()
      await assert.rejects(registry.loadArtifact('churn@1'), (error: unknown) => {
        const e = error as { code: string; message: string; details: Record<string, unknown> }
        assert.equal(e.code, 'ARTIFACT_TAMPERED')
        assert.match(e.message, /churn@1/)
        assert.equal(e.details.expectedSha256, sha256(BUNDLE(1)))
        return true
      })
    })
  })

  test(`${backend.name}: aliases resolve, move with an audit trail, and roll back step by step`, {
    skip: backend.skip,
  }, async () => {
    await withRegistry(backend.open, async (registry) => {
      await registerThree(registry)
      const first = await registry.promote('churn', 1, 'production', { actor: 'alice', reason: 'first' })
      assert.deepEqual([first.fromVersion, first.toVersion, first.isChanged], [null, 1, true])
      await registry.promote('churn', 2, 'production', { actor: 'bob' })
      await registry.setAlias('churn', 3, 'staging', { actor: 'carol' })
      const same = await registry.promote('churn', 2, 'production', { actor: 'bob' })
      assert.equal(same.isChanged, false)
      assert.equal(same.event, null)

      assert.deepEqual(await registry.resolve('churn'), {
        name: 'churn',
        version: 2,
        alias: 'production',
        ref: 'churn@2',
      })
      assert.equal((await registry.resolve('churn@staging')).version, 3)
      assert.deepEqual((await registry.getVersion('churn@2')).aliases, ['production'])

      await registry.promote('churn', 3, 'production', { actor: 'bob' })
      const back1 = await registry.rollback('churn', 'production', { actor: 'ops' })
      assert.deepEqual([back1.fromVersion, back1.toVersion], [3, 2])
      const back2 = await registry.rollback('churn', undefined, { actor: 'ops' })
      assert.deepEqual([back2.fromVersion, back2.toVersion], [2, 1])
      await assert.rejects(registry.rollback('churn'), { code: 'CONFLICT' })
      await assert.rejects(registry.rollback('churn', 'canary'), { code: 'CONFLICT' })
      assert.equal((await registry.resolve('churn@production')).version, 1)

      const history = await registry.history('churn')
      assert.deepEqual(
        history.map((e) => [e.kind, e.alias, e.fromVersion, e.toVersion, e.actor]),
        [
          ['register', null, null, 1, 'trainer'],
          ['register', null, null, 2, 'trainer'],
          ['register', null, null, 3, 'trainer'],
          ['promote', 'production', null, 1, 'alice'],
          ['promote', 'production', 1, 2, 'bob'],
          ['promote', 'staging', null, 3, 'carol'],
          ['promote', 'production', 2, 3, 'bob'],
          ['rollback', 'production', 3, 2, 'ops'],
          ['rollback', 'production', 2, 1, 'ops'],
        ],
      )
      assert.equal(history[3]?.reason, 'first')
      assert.ok(history.every((e, i) => i === 0 || e.id > (history[i - 1]?.id ?? 0)))
      assert.ok(!Number.isNaN(Date.parse(history[0]?.at ?? '')))

      const removed = await registry.removeAlias('churn', 'staging', { actor: 'carol' })
      assert.deepEqual([removed.fromVersion, removed.toVersion], [3, null])
      await assert.rejects(registry.resolve('churn@staging'), { code: 'NOT_FOUND' })
    })
  })

  test(`${backend.name}: unknown models, versions and aliases are NOT_FOUND; bad aliases are refused`, {
    skip: backend.skip,
  }, async () => {
    await withRegistry(backend.open, async (registry) => {
      await assert.rejects(registry.resolve('ghost'), { code: 'NOT_FOUND', message: /none are registered/ })
      await registerThree(registry)
      await assert.rejects(registry.resolve('ghost@production'), {
        code: 'NOT_FOUND',
        message: /registered: churn/,
      })
      await assert.rejects(registry.resolve('churn@9'), { code: 'NOT_FOUND', message: /versions 1 to 3/ })
      await assert.rejects(registry.loadArtifact('churn@production'), { code: 'NOT_FOUND' })
      await assert.rejects(registry.promote('churn', 9), { code: 'NOT_FOUND' })
      await assert.rejects(registry.getModel('ghost'), { code: 'NOT_FOUND' })
      await assert.rejects(registry.history('ghost'), { code: 'NOT_FOUND' })
      await assert.rejects(registry.promote('churn', 1, 'latest'), { code: 'INVALID_ARGUMENT' })
      await assert.rejects(registry.promote('churn', 1, 'Prod'), { code: 'INVALID_ARGUMENT' })
    })
  })

  test(`${backend.name}: a failed hard constraint blocks promotion to production unless forced`, {
    skip: backend.skip,
  }, async () => {
    await withRegistry(backend.open, async (registry) => {
      await registry.registerVersion({
        name: 'big',
        artifact: BUNDLE(1),
        constraints: [
          { name: 'size', passed: false, measured: 900, limit: 500, unit: 'MB' },
          { name: 'style', passed: false, hard: false },
        ],
      })
      await assert.rejects(registry.promote('big', 1), {
        code: 'REGISTRY_CONSTRAINT_FAILED',
        message: /size/,
      })
      assert.equal((await registry.promote('big', 1, 'staging')).isChanged, true)
      const forced = await registry.promote('big', 1, 'production', { force: true, reason: 'incident' })
      assert.match(forced.event?.reason ?? '', /forced past failed constraint\(s\) size: incident/)
    })
  })

  test(`${backend.name}: listModels, getModel, aliasState and the change cursor`, {
    skip: backend.skip,
  }, async () => {
    await withRegistry(backend.open, async (registry) => {
      assert.equal(await registry.changeCursor(), 0)
      await registerThree(registry)
      await registry.registerVersion({ name: 'alpha', artifact: BUNDLE(9) })
      const before = await registry.aliasState('churn')
      assert.deepEqual(before.aliases, {})
      assert.equal(before.latestVersion, 3)
      const globalBefore = await registry.changeCursor()
      await registry.promote('churn', 2)
      const after = await registry.aliasState('churn')
      assert.deepEqual(after.aliases, { production: 2 })
      assert.ok(after.cursor > before.cursor)
      assert.ok((await registry.changeCursor()) > globalBefore)
      // Another model's change does not move this model's cursor.
      await registry.promote('alpha', 1)
      assert.equal((await registry.aliasState('churn')).cursor, after.cursor)

      const models = await registry.listModels()
      assert.deepEqual(
        models.map((m) => [m.name, m.latestVersion, m.versionCount, m.aliases]),
        [
          ['alpha', 1, 1, { production: 1 }],
          ['churn', 3, 3, { production: 2 }],
        ],
      )
      const detail = await registry.getModel('churn')
      assert.deepEqual(
        detail.versions.map((v) => [v.version, v.aliases]),
        [
          [1, []],
          [2, ['production']],
          [3, []],
        ],
      )
    })
  })

  test(`${backend.name}: concurrent registrations get distinct version numbers`, {
    skip: backend.skip,
  }, async () => {
    await withRegistry(backend.open, async (registry) => {
      const versions = await Promise.all(
        Array.from({ length: 6 }, (_, i) => registry.registerVersion({ name: 'race', artifact: BUNDLE(i) })),
      )
      assert.deepEqual(versions.map((v) => v.version).sort(), [1, 2, 3, 4, 5, 6])
    })
  })
}
