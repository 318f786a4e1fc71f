/** Core building blocks shared by every capability: errors, RNG, matrices, artifacts, hashing, paths. */

export type { Artifact, EncodedArray, StorableArray } from './artifact.js'
export {
  artifactFromBytes,
  artifactToBytes,
  checkArtifact,
  decodeArray,
  decodeCompact,
  encodeArray,
  encodeCompact,
  isBinaryArtifact,
  makeArtifact,
} from './artifact.js'
export type { ConfigParseResult, ConfigProblem } from './config-schema.js'
export { formatConfigPath, formatConfigProblems, parseConfig } from './config-schema.js'
export {
  AppError,
  ArtifactError,
  InvalidArgumentError,
  isAppError,
  MissingDependencyError,
  NotFittedError,
  NotFoundError,
  ShapeMismatchError,
} from './errors.js'
export { sha256, stableStringify } from './hash.js'
export type { Matrix, Vector } from './matrix.js'
export { assertColumns, column, fromColumns, fromRows, matrix, takeRows, takeValues } from './matrix.js'
export type { OptionalDependency } from './optional-dependency.js'
/**
 * Optional peer dependencies (SDKs loaded on first use) and their loader.
 * @internal `importOptional`/`lazyAsync` are for Keel's own capabilities.
 */
export { importOptional, lazyAsync, OPTIONAL_DEPENDENCIES } from './optional-dependency.js'
export { keelDir, keelHome } from './paths.js'
export { argsortFloat64, sortFloat64 } from './radix-sort.js'
export { REDACTED_PATH, redactPaths } from './redact.js'
export { Rng } from './rng.js'
export { lowerBound } from './search.js'
export { didYouMean, editDistance, nearest } from './suggest.js'
export { trackTempFiles } from './temp-files.js'
export { LIBRARY_VERSION } from './version.js'
