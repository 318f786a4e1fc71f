import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Dataset } from '../data/index.js'
import { randomSearch } from '../eval/index.js'
import { SEARCH_SPACES } from './search-spaces.js'
import type { TrainProgress, TrainSpec, TrialResult, TrialRunner } from './workflow.js'
import { chooseCandidate, crossValidate, prepare, runTrial, tune } from './workflow.js'

/** 240 rows, two numeric features and a plan; the label depends on all three with noise. */
function dataset(): Dataset {
  let s = 11
  const rand = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 4294967296
  }
  const n = 240
  const x1 = new Float64Array(n)
  const x2 = new Float64Array(n)
  const plan = new Int32Array(n)
  const y = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    x1[i] = rand()
    x2[i] = rand()
    plan[i] = rand() < 0.5 ? 0 : 1
    y[i] = x1[i]! + 0.5 * x2[i]! + 0.2 * plan[i]! + 0.3 * (rand() - 0.5) > 0.9 ? 1 : 0
  }
  return {
    nRows: n,
    columns: [
      { kind: 'numeric', name: 'x1', values: x1 },
      { kind: 'numeric', name: 'x2', values: x2 },
      { kind: 'categorical', name: 'plan', codes: plan, levels: ['basic', 'pro'] },
      { kind: 'categorical', name: 'y', codes: y, levels: ['no', 'yes'] },
    ],
  }
}

/** Runs the trials last first and reports them in that order: where and when trials run must not matter. */
const reversedRunner: TrialRunner = {
  async run(prep, spec, trials, onResult) {
    const results = new Array<TrialResult>(trials.length)
    for (let i = trials.length - 1; i >= 0; i--) {
      results[i] = await runTrial(prep, spec, trials[i]!)
      onResult?.(i, results[i]!)
    }
    return results
  },
}

/** The progress a run reports, but the fits' own iteration lines (they follow the fit order). */
function recorder(): { events: TrainProgress[]; onProgress: (event: TrainProgress) => void } {
  const events: TrainProgress[] = []
  return { events, onProgress: (event) => (event.kind === 'iteration' ? undefined : events.push(event)) }
}

test('model selection and tuning give the same result and progress whatever order the runner returns trials in', async () => {
  const base: TrainSpec = { dataset: dataset(), target: 'y', model: 'auto', seed: 5, folds: 3, trials: 3 }
  const inProcess = recorder()
  const reversed = recorder()
  const runs = []
  for (const [record, runner] of [
    [inProcess, undefined],
    [reversed, reversedRunner],
  ] as const) {
    const spec: TrainSpec = {
      ...base,
      onProgress: record.onProgress,
      ...(runner === undefined ? {} : { trialRunner: runner }),
    }
    const prep = await prepare(spec)
    const choice = await chooseCandidate(prep, spec)
    const tuning = await tune(prep, spec, choice.family, choice.candidates)
    runs.push({
      family: choice.family,
      candidates: choice.candidates.map(({ seconds: _, ...rest }) => rest),
      tuning,
    })
  }
  assert.deepEqual(runs[1], runs[0])
  assert.deepEqual(reversed.events, inProcess.events)
  assert.equal(runs[0]!.candidates.length, 4)
  assert.equal(inProcess.events.filter((e) => e.kind === 'fold').length, 4 * 3)
  assert.equal(inProcess.events.filter((e) => e.kind === 'trial').length, 3)
})

test('tuning with a trial budget picks what randomSearch over the cross-validated objective picks', async () => {
  const spec: TrainSpec = {
    dataset: dataset(),
    target: 'y',
    model: 'gbdt',
    params: { nEstimators: 15 },
    seed: 9,
    folds: 3,
    trials: 4,
  }
  const prep = await prepare(spec)
  const tuned = await tune(prep, spec, 'gbdt', [])
  const reference = await randomSearch({
    space: SEARCH_SPACES.gbdt!,
    direction: 'higher',
    maxTrials: 4,
    seed: 9,
    objective: async (params) => {
      const scores = await crossValidate(prep, spec, 'gbdt', { ...spec.params, ...params }, false)
      return scores.reduce((a, b) => a + b, 0) / scores.length
    },
  })
  const defaults = await crossValidate(prep, spec, 'gbdt', spec.params, false)
  assert.ok(tuned !== undefined && reference.best !== null)
  assert.equal(tuned.trials, 4)
  assert.deepEqual(tuned.bestParams, reference.best.params)
  assert.equal(tuned.bestScore, reference.best.score)
  assert.equal(tuned.defaultScore, defaults.reduce((a, b) => a + b, 0) / defaults.length)
  // Four draws of the space, not one repeated.
  assert.equal(new Set(reference.trials.map((t) => JSON.stringify(t.params))).size, 4)
})

test('a tuning trial whose fit throws scores NaN; a candidate whose fit throws ends the run', async () => {
  const spec: TrainSpec = { dataset: dataset(), target: 'y', model: 'gbdt', seed: 3, folds: 3 }
  const prep = await prepare(spec)
  const bad = { nEstimators: -1 }
  const tolerated = await runTrial(prep, spec, {
    label: 'tuning trial 1',
    family: 'gbdt',
    params: bad,
    fold: 0,
    tolerateErrors: true,
  })
  assert.ok(Number.isNaN(tolerated.score))
  assert.match(tolerated.error ?? '', /nEstimators/)
  await assert.rejects(
    runTrial(prep, spec, {
      label: 'candidate gbdt',
      family: 'gbdt',
      params: bad,
      fold: 0,
      tolerateErrors: false,
    }),
    /nEstimators/,
  )
  await assert.rejects(
    runTrial(prep, spec, { label: 'x', family: 'gbdt', fold: 3, tolerateErrors: false }),
    /asks for fold 3; the data has 3 folds/,
  )
})
