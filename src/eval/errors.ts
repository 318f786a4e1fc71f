import { AppError } from '../core/index.js'

/**
 * Inputs to an evaluation routine that cannot work together: mismatched lengths, a single
 * class where two are needed, probabilities outside [0, 1]. Code `EVAL_INVALID_INPUT`.
 */
export class EvalInputError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('EVAL_INVALID_INPUT', message, { details })
  }
}

/** A metric name or spec the registry does not know. Code `EVAL_UNKNOWN_METRIC`. */
export class UnknownMetricError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('EVAL_UNKNOWN_METRIC', message, { details })
  }
}

/** A search space or search option that cannot be sampled. Code `EVAL_INVALID_SEARCH_SPACE`. */
export class SearchSpaceError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('EVAL_INVALID_SEARCH_SPACE', message, { details })
  }
}

/** A calibrator used before `fit`, or loaded from malformed JSON. Code `EVAL_CALIBRATOR_INVALID`. */
export class CalibratorError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('EVAL_CALIBRATOR_INVALID', message, { details })
  }
}

/** A tree ensemble view that TreeSHAP cannot walk (bad child index, cycle). Code `EVAL_INVALID_TREE`. */
export class InvalidTreeError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('EVAL_INVALID_TREE', message, { details })
  }
}
