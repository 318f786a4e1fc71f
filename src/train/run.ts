import { performance } from 'node:perf_hooks'
import { openTrackingStore } from '../track/index.js'
import { type RunTrainingOptions, type RunTrainingResult, record } from './stages/record.js'
import type { TrainOutcome } from './stages/types.js'
import { trainModelBundle } from './workflow.js'

export { trainingImportance } from './stages/importance.js'
export type { RecordInput, RunStore, RunTrainingOptions, RunTrainingResult } from './stages/record.js'
export { REPORT_DATA_ARTIFACT, record, typedArraysAsLists } from './stages/record.js'

/**
 * Trains (prepare -> candidates -> tune -> refit -> test, see `workflow.ts`), then records the run
 * and registers the bundle as a new model version (the record stage).
 */
export async function runTraining(
  options: RunTrainingOptions,
): Promise<{ result: RunTrainingResult; outcome: TrainOutcome }> {
  const started = performance.now()
  // The run's start is the start of training (model selection and tuning included), not the moment
  // it is recorded, so `keel runs list` shows the time it really took.
  const startedAt = new Date()
  const store = await openTrackingStore(options.storeUrl)
  try {
    const outcome = await trainModelBundle(options)
    const result = await record({ outcome, options, store, started, startedAt })
    return { result, outcome }
  } finally {
    await store.close()
  }
}
