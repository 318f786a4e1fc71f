/**
 * Data capability: loading files into a columnar `Dataset` through DuckDB, schemas and
 * fingerprints, the `keel.yaml` task file, validation and leakage checks, feature engineering and
 * splits. (Model-input encoding is the pipeline's `FeatureEncoder`, the one preprocessing system.)
 */

export type { Column, ColumnKind, Dataset } from './dataset.js'
export {
  COLUMN_KINDS,
  cellValue,
  columnLength,
  compareLevels,
  datasetFromRecords,
  datasetToRecords,
  dropColumns,
  getColumn,
  hasColumn,
  makeDataset,
  missingCount,
  selectColumns,
  selectRows,
} from './dataset.js'
/**
 * DuckDB result streaming with bounded memory, and the copy of a DOUBLE vector (NULL as NaN):
 * for capabilities that run their own SQL on DuckDB (out-of-core training). @internal
 */
export { copyDoubleVector, forEachChunk } from './duckdb.js'
export type { DataErrorCode } from './errors.js'
export { DataError } from './errors.js'
export type { EngineerSpec } from './features.js'
export { engineerFeatures, featureSpecFromTask, historyFeatureName } from './features.js'
export type { FileFormat, TextEncoding } from './file-check.js'
export { fingerprintDataset } from './fingerprint.js'
export type { SingleFeatureScore } from './leakage.js'
export { isTargetCopy, singleFeatureScore } from './leakage.js'
export type { LoadOptions } from './load.js'
export { DEFAULT_NULL_VALUES, loadDataset } from './load.js'
export type { ColumnSchema, ColumnSummary, LevelCount, Schema } from './schema.js'
export { columnSchema, inferSchema, summarizeColumn, summarizeDataset } from './schema.js'
export type { Fold as DataFold, SplitOptions, TrainTestSplit } from './split.js'
/** Seeded splits and folds (random, stratified, group, time). `DataFold` is eval's `Fold` shape with Int32Array indices. */
export {
  groupKFold,
  groupSplit,
  kFold,
  randomSplit,
  splitDataset,
  stratifiedKFold,
  stratifiedSplit,
  timeSeriesFolds,
  timeSplit,
} from './split.js'
export type {
  DatasetSink,
  ParquetColumn,
  StreamColumn,
  StreamOptions,
  StreamSummary,
} from './stream.js'
/** Chunked reading of files larger than memory, and Parquet output through DuckDB. */
export { csvToParquet, DEFAULT_CHUNK_ROWS, streamDataset } from './stream.js'
export type { ClassTarget } from './target.js'
export { classTarget } from './target.js'
export type {
  DatetimePart,
  FeatureEngineeringSpec,
  HistoryAggregate,
  NullPolicy,
  SplitConfig,
  TaskConfig,
  TaskKindName,
  TaskMetric,
  ValidationRules,
} from './task-file.js'
export {
  defaultMetricsFor,
  findTaskFile,
  loadTaskFile,
  METRICS_BY_TASK,
  metricKey,
  parseTaskConfig,
} from './task-file.js'
export type { ValidateOptions, ValidationProblem, ValidationReport } from './validate.js'
export { formatProblem, validateDataset } from './validate.js'
