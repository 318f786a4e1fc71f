import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { abCommand } from '../../src/cli/commands/ab.js'
import { Rng } from '../../src/core/index.js'
import { abReport } from '../../src/monitor/index.js'
import { createMemoryModelSource, createServer, migrateServeTables } from '../../src/serve/index.js'
import { openDb } from '../../src/store/index.js'
import { fakeModel, fakeRow, testFastPath } from '../helpers/serve-fixtures.js'

process.env.KEEL_HOME = mkdtempSync(join(tmpdir(), 'keel-home-'))

type Json = Record<string, unknown>

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Json }
}

const ADMIN = { authorization: 'Bearer admin-token' }

describe('A/B experiments over HTTP', () => {
  test('sticky assignment, split ratio, admin CRUD and the report endpoint', async () => {
    const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'keel-ab-')), 'keel.db')}`
    const source = createMemoryModelSource([fakeModel({ version: 1 }), fakeModel({ version: 2, bias: 0.5 })])
    source.setAlias('churn', 'production', 1)
    source.setAlias('churn', 'challenger', 2)
    const server = await createServer({
      source,
      config: {
        models: ['churn@production'],
        fastPath: testFastPath(),
        experiments: [
          {
            id: 'exp-config',
            model: 'churn',
            variants: [
              { name: 'A', ref: 'churn@production', weight: 1 },
              { name: 'B', ref: 'churn@challenger', weight: 1 },
            ],
          },
        ],
        predictionLog: { flushIntervalMs: 20 },
      },
      db: url,
      adminToken: 'admin-token',
      logger: false,
    })
    try {
      await server.waitUntilReady()
      const base = await server.listen(0)
      const predictUrl = `${base}/v1/models/churn/predict`

      // Stickiness: the key in the features (keyField user_id), the body or the header gives one variant.
      const first = await post(predictUrl, { features: fakeRow({ user_id: 'alice' }) })
      assert.equal(first.status, 200)
      for (let i = 0; i < 5; i++) {
        assert.equal(
          (await post(predictUrl, { features: fakeRow({ user_id: 'alice' }) })).body.variant,
          first.body.variant,
        )
        assert.equal(
          (await post(predictUrl, { features: fakeRow(), requestKey: 'alice' })).body.variant,
          first.body.variant,
        )
        assert.equal(
          (await post(predictUrl, { features: fakeRow() }, { 'x-keel-request-key': 'alice' })).body.variant,
          first.body.variant,
        )
      }
      assert.equal(first.body.version, first.body.variant === 'A' ? 1 : 2)
      // No key: the default (first) variant.
      assert.equal((await post(predictUrl, { features: fakeRow() })).body.variant, 'A')

      // Split ratio over 400 users within tolerance of 50/50; record feedback (B's users churn less).
      const rng = new Rng(5)
      const counts: Record<string, number> = { A: 0, B: 0 }
      const feedback: { predictionId: string; outcome: number }[] = []
      for (let i = 0; i < 400; i++) {
        const res = await post(predictUrl, { features: fakeRow(), requestKey: `user-${i}` })
        const variant = String(res.body.variant)
        counts[variant] = (counts[variant] ?? 0) + 1
        const rate = variant === 'A' ? 0.15 : 0.45
        feedback.push({ predictionId: String(res.body.predictionId), outcome: rng.next() < rate ? 1 : 0 })
      }
      assert.ok(counts.A! > 160 && counts.A! < 240, JSON.stringify(counts))
      assert.equal((await post(`${base}/v1/feedback`, { items: feedback })).status, 200)
      await server.log?.flush()

      const report = (await (
        await fetch(`${base}/v1/admin/experiments/exp-config/report`, { headers: ADMIN })
      ).json()) as Json
      const variants = report.variants as Json[]
      assert.equal(variants.length, 2)
      assert.equal(Number(variants[0]!.units) + Number(variants[1]!.units), 401)
      assert.equal(report.verdict, 'B wins')
      assert.equal((report.srm as Json).mismatch, false)
      const noToken = await fetch(`${base}/v1/admin/experiments/exp-config/report`)
      assert.equal(noToken.status, 401)

      // Admin CRUD: a second running experiment on the same model conflicts; stop, then create.
      const exp2 = {
        id: 'exp-api',
        model: 'churn',
        keyField: 'account',
        variants: [
          { name: 'control', ref: 'churn@1', weight: 9 },
          { name: 'treatment', ref: 'churn@2', weight: 1 },
        ],
      }
      assert.equal((await post(`${base}/v1/admin/experiments`, exp2, ADMIN)).status, 409)
      const stopped = await fetch(`${base}/v1/admin/experiments/exp-config`, {
        method: 'DELETE',
        headers: ADMIN,
      })
      assert.equal(((await stopped.json()) as Json).status, 'stopped')
      const created = await post(`${base}/v1/admin/experiments`, exp2, ADMIN)
      assert.equal(created.status, 201, JSON.stringify(created.body))
      assert.equal((await post(`${base}/v1/admin/experiments`, exp2, ADMIN)).status, 409)
      const bad = await post(
        `${base}/v1/admin/experiments`,
        {
          ...exp2,
          id: 'x',
          variants: [
            { name: 'a', ref: 'nope@9', weight: 1 },
            { name: 'b', ref: 'churn@1', weight: 1 },
          ],
        },
        ADMIN,
      )
      assert.equal(bad.status, 409) // still conflicts: exp-api runs on churn
      let treatment = 0
      for (let i = 0; i < 300; i++) {
        const res = await post(predictUrl, { features: fakeRow({ account: `acct-${i}` }) })
        if (res.body.variant === 'treatment') treatment++
        else assert.equal(res.body.variant, 'control')
      }
      assert.ok(treatment > 10 && treatment < 55, `treatment ${treatment}/300 for weight 0.1`)
      const list = (await (await fetch(`${base}/v1/admin/experiments`, { headers: ADMIN })).json()) as {
        experiments: Json[]
      }
      assert.deepEqual(list.experiments.map((e) => `${e.id}:${e.status}`).sort(), [
        'exp-api:running',
        'exp-config:stopped',
      ])
    } finally {
      await server.close()
    }

    // The CLI reads the same log.
    const out: string[] = []
    const write = process.stdout.write.bind(process.stdout)
    process.stdout.write = ((chunk: string) => {
      out.push(String(chunk))
      return true
    }) as typeof process.stdout.write
    try {
      assert.equal(await abCommand.run(['report', 'exp-config', '--json', '--db', url]), 0)
      assert.equal(await abCommand.run(['report', 'exp-config', '--db', url]), 0)
    } finally {
      process.stdout.write = write
    }
    const json = JSON.parse(out[0]!) as Json
    assert.equal(json.verdict, 'B wins')
    assert.match(out[1]!, /Verdict: B wins/)
    assert.match(out[1]!, /always-valid p/)
  })
})

describe('abReport verdicts from logged data', () => {
  async function seed(
    rates: [number, number],
    counts: [number, number],
    seedValue: number,
    options: { minEffect?: number } = {},
  ): Promise<{ report: Awaited<ReturnType<typeof abReport>> }> {
    const db = await openDb(`sqlite:${join(mkdtempSync(join(tmpdir(), 'keel-abr-')), 'keel.db')}`)
    try {
      const k = await migrateServeTables(db)
      const config = {
        id: 'e',
        model: 'm',
        keyField: 'user_id',
        keyHeader: 'x-keel-request-key',
        status: 'running',
        variants: [
          { name: 'A', ref: 'm@1', weight: 1 },
          { name: 'B', ref: 'm@2', weight: 1 },
        ],
      }
      await k
        .insertInto('serve_experiments')
        .values({
          id: 'e',
          model: 'm',
          config: JSON.stringify(config),
          status: 'running',
          created_at: 0,
          updated_at: 0,
        })
        .execute()
      const rng = new Rng(seedValue)
      const preds = []
      const fb = []
      for (let v = 0; v < 2; v++) {
        for (let i = 0; i < counts[v]!; i++) {
          const id = `${v}-${i}`
          const outcome = rng.next() < rates[v]! ? 1 : 0
          const score = Math.min(1, Math.max(0, outcome * 0.3 + rng.next() * 0.7))
          preds.push({
            id,
            ts: i * 2 + v,
            model: 'm',
            version: v + 1,
            variant: v === 0 ? 'A' : 'B',
            experiment_id: 'e',
            request_key: `u${v}-${i}`,
            features: '{}',
            outputs: '{}',
            score,
            latency_ms: 1,
            served_by: 'primary',
            shadow_of: null,
          })
          fb.push({ prediction_id: id, ts: i * 2 + v, outcome: String(outcome), outcome_value: outcome })
        }
      }
      for (let i = 0; i < preds.length; i += 500)
        await k
          .insertInto('serve_predictions')
          .values(preds.slice(i, i + 500))
          .execute()
      for (let i = 0; i < fb.length; i += 500)
        await k
          .insertInto('serve_feedback')
          .values(fb.slice(i, i + 500))
          .execute()
      return { report: await abReport(db, 'e', options) }
    } finally {
      await db.close()
    }
  }

  test('equal rates with many samples → no difference; AUC reported', async () => {
    const { report } = await seed([0.3, 0.3], [6000, 6000], 1, { minEffect: 0.04 })
    assert.equal(report.verdict, 'no difference')
    assert.ok(report.variants[0]!.auc! > 0.6)
    assert.ok(report.comparisons[0]!.ci![0] < 0 && report.comparisons[0]!.ci![1] > 0)
  })

  test('A better → A wins; too few samples → keep running; broken split → SRM mismatch', async () => {
    assert.equal((await seed([0.5, 0.3], [600, 600], 2)).report.verdict, 'A wins')
    assert.equal((await seed([0.5, 0.3], [20, 20], 3)).report.verdict, 'keep running')
    const srm = (await seed([0.3, 0.3], [1000, 1300], 4)).report
    assert.equal(srm.srm.mismatch, true)
    assert.equal(srm.verdict, 'keep running')
    assert.match(srm.notes.join(' '), /Sample ratio mismatch/)
  })
})
