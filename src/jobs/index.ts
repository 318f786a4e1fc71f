/**
 * Jobs capability: batch scoring and training trials spread over `keel worker` processes through a
 * job queue (pg-boss on PostgreSQL, behind the small `JobQueue` interface). Scoring: the
 * coordinator splits the input into row ranges, one job each, and merges the scored parts in input
 * order. Training: a trial runner sends each cross-validation fit of model selection and tuning as
 * a job and collects the scores.
 */

export type { AwaitEvent, AwaitedJob, AwaitJobsOptions } from './await-jobs.js'
export { awaitJobs } from './await-jobs.js'
export type {
  DistributedEvent,
  PredictDistributedOptions,
  PredictDistributedResult,
  PredictJobData,
  PredictWorker,
  PredictWorkerOptions,
  WorkerJobEvent,
} from './distributed-predict.js'
export {
  DEFAULT_PART_ROWS,
  makePredictJobHandler,
  PREDICT_QUEUE,
  predictDistributed,
  startPredictWorker,
} from './distributed-predict.js'
export type {
  DistributedTrialRunnerOptions,
  TrialJobData,
  TrialJobEvent,
  TrialJobHandlerOptions,
  TrialJobsEvent,
} from './distributed-trials.js'
export {
  distributedTrialRunner,
  makeTrialJobHandler,
  preparedFingerprint,
  TRIAL_QUEUE,
} from './distributed-trials.js'
export type { MergeOptions } from './merge.js'
export { mergeParts } from './merge.js'
export type {
  JobQueue,
  JobStateName,
  JobStatus,
  NewJob,
  OpenJobQueueOptions,
  ReceivedJob,
  WorkOptions,
} from './queue.js'
export { openJobQueue, parseQueueUrl } from './queue.js'
export type { PartRange, StagedInput, StagedPart } from './split.js'
export { partFileName, planParts, stageParts } from './split.js'
export type { WorkerOptions } from './worker.js'
export { startWorker } from './worker.js'
