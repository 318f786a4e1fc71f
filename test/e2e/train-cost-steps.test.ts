import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { writeDeepRegression } from '../../bench/train-cost-data.js'
import { artifactFromBytes, isBinaryArtifact, matrix } from '../../src/core/index.js'
import { encodedOwners } from '../../src/pipeline/index.js'
import { openRegistry } from '../../src/registry/index.js'
import { openTrackingStore } from '../../src/track/index.js'
import {
  loadBundleByRef,
  REPORT_DATA_ARTIFACT,
  runTraining,
  sampledGlobalContributions,
  shapSampleNote,
} from '../../src/train/index.js'
import { trainingImportance } from '../../src/train/stages/importance.js'

const dir = mkdtempSync(join(tmpdir(), 'keel-train-cost-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('keel train announces every post-fit step, bounds SHAP and registers a binary artifact', async () => {
  const data = join(dir, 'deep.csv')
  writeDeepRegression(data, 1500, 3)
  const storeUrl = `sqlite:${join(dir, 'keel.db')}`
  const stages: string[] = []
  const { result, outcome } = await runTraining({
    dataPath: data,
    target: 'y',
    model: 'rf',
    params: { nEstimators: 8 },
    seed: 1,
    folds: 3,
    name: 'deep',
    storeUrl,
    onProgress: (e) => {
      if (e.kind === 'stage') stages.push(e.message)
    },
  })
  // each bounded or costly step after the fit shows up as a progress stage, in order
  const expected = [
    'saving the model artifact',
    'measuring single-row latency',
    'fingerprinting the data',
    'scoring the training rows',
    'feature importance for monitoring (SHAP, budget',
    'building the report',
    'registering the model version',
  ]
  let at = 0
  for (const want of expected) {
    const i = stages.findIndex((s, k) => k >= at && s.startsWith(want))
    assert.ok(i >= 0, `stage '${want}' missing or out of order in ${JSON.stringify(stages)}`)
    at = i + 1
  }
  // the monitoring importance samples at most 300 of the 1,200 training rows (fewer if its budget ran out)
  assert.ok(
    stages.some((s) =>
      /^SHAP summary: mean \|SHAP\| over [\d,]+ of 1,200 training rows drawn at random/.test(s),
    ),
    JSON.stringify(stages),
  )

  // the registry holds the binary artifact, and what loads from it predicts bit for bit the same
  const registry = await openRegistry(storeUrl)
  const stored = await registry.loadArtifact(result.model)
  await registry.close()
  assert.ok(isBinaryArtifact(stored.bytes))
  assert.equal(stored.bytes.byteLength, result.artifactBytes)
  assert.equal((artifactFromBytes(stored.bytes) as { kind: string }).kind, 'keel-bundle')
  const { bundle } = await loadBundleByRef(result.model, storeUrl)
  const x = outcome.bundle.encoder.encodeDataset(outcome.dataset)
  assert.deepEqual(bundle.predictMatrix(x).labels, outcome.bundle.predictMatrix(x).labels)

  // the report says the SHAP summary rests on a sample when it does not use every test row
  const store = await openTrackingStore(storeUrl)
  const report = JSON.parse(
    Buffer.from(await store.getArtifact(result.runId, REPORT_DATA_ARTIFACT)).toString('utf8'),
  ) as {
    notes?: string[]
  }
  await store.close()
  assert.equal(result.testRows, 300)
  // all 300 test rows fit the sample: a note appears only if the time budget cut it (a loaded machine)
  const shapNotes = (report.notes ?? []).filter((n) => n.includes('SHAP'))
  assert.ok(
    shapNotes.every((n) => /of 300 test rows drawn at random; cut by its time budget/.test(n)),
    JSON.stringify(shapNotes),
  )
})

test('a SHAP summary stops at its time budget with a uniform sample and says so', async () => {
  const data = join(dir, 'deep2.csv')
  writeDeepRegression(data, 600, 4)
  const { outcome } = await runTraining({
    dataPath: data,
    target: 'y',
    model: 'rf',
    params: { nEstimators: 4 },
    seed: 2,
    folds: 3,
    name: 'deep2',
    storeUrl: `sqlite:${join(dir, 'keel2.db')}`,
  })
  const x = outcome.bundle.encoder.encodeDataset(outcome.dataset)
  const full = sampledGlobalContributions(outcome.bundle, x, { maxRows: 50, seed: 1 })
  assert.equal(full.rowsExplained, 50)
  assert.equal(full.budgetCut, false)
  assert.match(shapSampleNote(full, 'test rows'), /over 50 of 600 test rows drawn at random\.$/)
  const cut = sampledGlobalContributions(outcome.bundle, x, { maxRows: 50, seed: 1, budgetMs: 0 })
  assert.equal(cut.rowsExplained, 1)
  assert.equal(cut.budgetCut, true)
  assert.match(
    shapSampleNote(cut, 'test rows'),
    /over 1 of 600 test rows drawn at random; cut by its time budget/,
  )
  assert.equal(matrix(1, 1, Float64Array.of(0)).rows, 1)

  // monitoring importance: a budget that lets SHAP explain a single row falls back to the model's
  // gain importance (every training row), and says so; an uncut sample stays SHAP
  const notes: string[] = []
  const fallback = trainingImportance(outcome.bundle, outcome.trainDs, 1, 0, (n) => notes.push(n))
  assert.ok(
    notes.some((n) => /gain importance \(SHAP explained only 1 rows/.test(n)),
    JSON.stringify(notes),
  )
  const gain = outcome.bundle.model.featureImportance?.('gain')
  assert.ok(gain !== undefined && fallback !== undefined)
  const owners = encodedOwners(outcome.bundle)
  const sums = new Float64Array(outcome.bundle.features.length)
  gain.forEach((g, j) => {
    sums[owners[j]!]! += g
  })
  const total = sums.reduce((a, b) => a + Math.abs(b), 0)
  outcome.bundle.features.forEach((f, i) => {
    assert.ok(Math.abs(fallback[f.name]! - Math.abs(sums[i]!) / total) < 1e-12, f.name)
  })
  const shapNotes: string[] = []
  const shap = trainingImportance(outcome.bundle, outcome.trainDs, 1, undefined, (n) => shapNotes.push(n))
  assert.ok(shap !== undefined)
  assert.ok(!shapNotes.some((n) => n.includes('gain importance')), JSON.stringify(shapNotes))
  assert.notDeepEqual(shap, fallback)
})
