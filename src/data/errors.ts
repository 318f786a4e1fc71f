import { AppError } from '../core/index.js'

/** Stable codes for every data problem Keel reports. */
export type DataErrorCode =
  | 'DATA_FILE_NOT_FOUND'
  | 'DATA_EMPTY'
  | 'DATA_HEADER_ONLY'
  | 'DATA_RAGGED_ROWS'
  | 'DATA_BINARY'
  | 'DATA_PARSE'
  | 'DATA_ENCODING'
  | 'DATA_DELIMITER'
  | 'DATA_COLUMN_NOT_FOUND'
  | 'DATA_TYPE'
  | 'DATA_SCHEMA_MISMATCH'
  | 'DATA_TASK_FILE'
  | 'DATA_FEATURE_SPEC'
  | 'DATA_SPLIT'
  | 'DATA_WRITE'

/** A data file, dataset, task file or split that cannot be used as asked. */
export class DataError extends AppError {
  declare readonly code: DataErrorCode

  constructor(
    code: DataErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options)
  }
}
