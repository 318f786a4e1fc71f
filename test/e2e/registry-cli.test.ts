import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import {
  type AliasChange,
  type ModelDetail,
  type ModelSummary,
  type ModelVersion,
  openRegistry,
  type RegistryEvent,
} from '../../src/registry/index.js'
import { CliDriver } from './track-cli-driver.js'

const home = mkdtempSync(join(tmpdir(), 'keel-e2e-registry-'))
const env = { KEEL_HOME: home, KEEL_DATABASE_URL: '', USER: 'e2e-user' }
const cli = new CliDriver()

before(async () => {
  const registry = await openRegistry(`sqlite:${join(home, 'keel.db')}`)
  try {
    for (let n = 1; n <= 3; n++) {
      await registry.registerVersion({
        name: 'churn',
        runId: `run${n}`,
        artifact: JSON.stringify({ format: 'pipeline', n }),
        metrics: { roc_auc: 0.8 + n / 100 },
        constraints: [
          { name: 'latency', passed: true, measured: 0.4, limit: 100, unit: 'ms' },
          // Version 3 is too big: promotion to production must be refused unless forced.
          { name: 'size', passed: n !== 3, measured: n === 3 ? 900 : 10, limit: 500, unit: 'MB' },
        ],
        modelCard: {
          task: { kind: 'binary-classification', target: 'churned', positiveClass: 'yes' },
          data: { source: 'customers.csv', rows: 1000 },
          intendedUse: { primary: 'Rank customers by churn risk.' },
          metrics: { roc_auc: 0.8 + n / 100 },
          limitations: ['Synthetic data.'],
        },
        actor: 'trainer',
      })
    }
    await registry.registerVersion({ name: 'prices', artifact: '{}' })
  } finally {
    await registry.close()
  }
})

after(() => cli.close())

test('promote, rollback and history through the CLI, with JSON and tables', async () => {
  const p1 = await cli.run(
    ['models', 'promote', 'churn', '1', '--to', 'production', '--reason', 'first'],
    env,
  )
  assert.equal(p1.code, 0, p1.stderr)
  assert.match(p1.stdout, /^churn@production: unset -> version 1 \(by e2e-user, /)

  const p2 = await cli.run(['models', 'promote', 'churn', '2', '--actor', 'alice', '--json'], env)
  assert.equal(p2.code, 0, p2.stderr)
  const change = JSON.parse(p2.stdout) as AliasChange
  assert.deepEqual(
    [change.alias, change.fromVersion, change.toVersion, change.event?.actor],
    ['production', 1, 2, 'alice'],
  )

  const staging = await cli.run(['models', 'promote', 'churn', '3', '--to', 'staging'], env)
  assert.equal(staging.code, 0, staging.stderr)

  const refused = await cli.run(['models', 'promote', 'churn', '3'], env)
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /^error \[REGISTRY_CONSTRAINT_FAILED\]: .*size/)

  const forced = await cli.run(['models', 'promote', 'churn', '3', '--force', '--reason', 'hotfix'], env)
  assert.equal(forced.code, 0, forced.stderr)

  const back = await cli.run(['models', 'rollback', 'churn'], env)
  assert.equal(back.code, 0, back.stderr)
  assert.match(back.stdout, /^churn@production: version 3 -> version 2 /)

  const history = await cli.run(['models', 'history', 'churn', '--json'], env)
  const events = JSON.parse(history.stdout) as RegistryEvent[]
  assert.deepEqual(
    events
      .filter((e) => e.kind !== 'register')
      .map((e) => [e.kind, e.alias, e.fromVersion, e.toVersion, e.actor]),
    [
      ['promote', 'production', null, 1, 'e2e-user'],
      ['promote', 'production', 1, 2, 'alice'],
      ['promote', 'staging', null, 3, 'e2e-user'],
      ['promote', 'production', 2, 3, 'e2e-user'],
      ['rollback', 'production', 3, 2, 'e2e-user'],
    ],
  )
  assert.match(
    events.find((e) => e.toVersion === 3 && e.alias === 'production')?.reason ?? '',
    /forced.*size.*hotfix/,
  )

  const table = await cli.run(['models', 'history', 'churn'], env)
  assert.match(table.stdout, /^WHEN \(UTC\)\s+ACTION\s+ALIAS\s+FROM\s+TO\s+BY\s+REASON$/m)
  assert.match(table.stdout, /rollback\s+production\s+3\s+2\s+e2e-user/)
})

test('list and show models and versions', async () => {
  const list = await cli.run(['models', 'list', '--json'], env)
  assert.equal(list.code, 0, list.stderr)
  const models = JSON.parse(list.stdout) as ModelSummary[]
  assert.deepEqual(
    models.map((m) => [m.name, m.latestVersion]),
    [
      ['churn', 3],
      ['prices', 1],
    ],
  )
  const listTable = await cli.run(['models', 'list'], env)
  assert.match(listTable.stdout, /^NAME\s+LATEST\s+VERSIONS\s+PRODUCTION\s+STAGING/)

  const show = await cli.run(['models', 'show', 'churn', '--json'], env)
  const detail = JSON.parse(show.stdout) as ModelDetail
  assert.equal(detail.versions.length, 3)
  assert.equal(detail.aliases.production, 2)
  const showTable = await cli.run(['models', 'show', 'churn'], env)
  assert.match(showTable.stdout, /^\s+3\s+staging\s.*FAIL/m)
  assert.match(showTable.stdout, /^\s+2\s+production\s.*ok\s+roc_auc=0\.8200/m)

  const version = await cli.run(['models', 'show', 'churn@production', '--json'], env)
  const v = JSON.parse(version.stdout) as ModelVersion
  assert.equal(v.version, 2)
  assert.equal(v.runId, 'run2')
  assert.equal(v.artifactSha256.length, 64)

  const card = await cli.run(['models', 'card', 'churn@2'], env)
  assert.equal(card.code, 0, card.stderr)
  assert.match(card.stdout, /^# Model card: churn v2\n/)
  assert.match(card.stdout, /\| roc_auc \| 0\.82 \|/)
})

test('unknown models, versions and aliases fail with one NOT_FOUND line and exit 2', async () => {
  for (const argv of [
    ['models', 'show', 'ghost'],
    ['models', 'show', 'churn@9'],
    ['models', 'show', 'churn@canary'],
    ['models', 'history', 'ghost'],
    ['models', 'promote', 'churn', '9'],
    ['models', 'card', 'prices@1'],
  ]) {
    const result = await cli.run(argv, env)
    assert.equal(result.code, 2, argv.join(' '))
    assert.equal(result.stdout, '')
    assert.match(result.stderr, /^error \[NOT_FOUND\]: [^\n]+\n$/, argv.join(' '))
  }
  for (const argv of [
    ['models', 'promote', 'churn'],
    ['models', 'promote', 'churn', 'two'],
    ['models', 'rollback', 'prices'],
    ['models', 'show', 'churn@'],
  ]) {
    const result = await cli.run(argv, env)
    assert.equal(result.code, 2, argv.join(' '))
    assert.match(result.stderr, /^error \[[A-Z_]+\]: [^\n]+\n$/, argv.join(' '))
  }
})
