/**
 * Jobs capability: batch scoring spread over `keel worker` processes through a job queue
 * (pg-boss on PostgreSQL, behind the small `JobQueue` interface). The coordinator splits the
 * input into row ranges, one job each, and merges the scored parts in input order.
 */

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
