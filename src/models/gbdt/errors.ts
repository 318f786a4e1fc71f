import { AppError } from '../../core/index.js'

/**
 * A split's partition sent a different number of rows left than its histogram counted. The counts
 * are exact, so this is a bug; training stops instead of building a wrong tree.
 */
export class PartitionCountError extends AppError {
  constructor(expected: number, actual: number) {
    super(
      'GBDT_PARTITION_MISMATCH',
      `Partition of a split sent ${actual} rows left where its histogram counted ${expected}. This is a bug in Keel's GBDT training; please report it with the data shape and params.`,
    )
  }
}
