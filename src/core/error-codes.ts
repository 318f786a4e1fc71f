/**
 * The one catalogue of Keel's stable codes: every code an error carries (`ERROR_CODES`) and every
 * code a problem list carries (`PROBLEM_CODES`: `keel validate` problems and the `problems` of a
 * 400/422 body). docs/errors.md is generated from it (`node --import tsx scripts/gen-errors.ts`), and
 * test/docs-errors.test.ts checks it against the source both ways: every code raised in src/ is
 * here, every code here is raised, `thrownIn` names the folders that raise it, and `httpStatus`
 * agrees with the servers' status tables.
 */

/** A capability folder under src/. */
export type Capability =
  | 'cli'
  | 'core'
  | 'data'
  | 'eval'
  | 'http'
  | 'interop'
  | 'jobs'
  | 'llm'
  | 'models'
  | 'monitor'
  | 'optimize'
  | 'outofcore'
  | 'pipeline'
  | 'predlog'
  | 'rag'
  | 'registry'
  | 'runtime'
  | 'serve'
  | 'store'
  | 'track'
  | 'train'

/** One error code. */
export interface ErrorCodeInfo {
  /**
   * The HTTP status a route answers with this code (from `STATUS_BY_CODE` of src/http/errors.ts, the
   * one table of the prediction server, monitoring API and `/v1/rag/query`). `null`: no route maps
   * it, so if it reaches one the server answers 500 `SERVE_INTERNAL` with a generic message. The CLI
   * exits 2 for every code.
   */
  readonly httpStatus: number | null
  /** What went wrong, in one line. */
  readonly summary: string
  /** What to do about it. */
  readonly hint: string
  /** A message as the code's thrower writes it, with sample values filled in. */
  readonly example: string
  /** Capability folders whose code raises it. */
  readonly thrownIn: readonly Capability[]
  /** Known wrinkles: a code shared by unrelated failures, a code raised outside its own layer. */
  readonly note?: string
}

/** One problem code: an entry of a problem list, not an error of its own. */
export interface ProblemCodeInfo {
  /** Where the problem list comes from. */
  readonly reportedBy: 'keel validate' | 'request validation'
  /** What the problem means and what to do. */
  readonly summary: string
  /** A problem message (or `reason`) as the reporter writes it. */
  readonly example: string
  readonly thrownIn: readonly Capability[]
}

const NO_HTTP = null

/** Every error code Keel raises on purpose (the `code` of an `AppError` or of an HTTP error body). */
export const ERROR_CODES = {
  ARTIFACT_INVALID: {
    httpStatus: NO_HTTP,
    summary: 'A model artifact or bundle is malformed: a missing field, a wrong array type, bad JSON.',
    hint: 'Re-save the model from its run; artifacts are written by Keel and should not be edited.',
    example: 'Expected an encoded float64 array, got dtype int32.',
    thrownIn: ['core', 'models', 'optimize', 'pipeline'],
  },
  ARTIFACT_KIND_UNKNOWN: {
    httpStatus: NO_HTTP,
    summary: 'No reader is registered for the artifact’s `kind`.',
    hint: 'The artifact comes from another library or a newer Keel; load it with the Keel that wrote it.',
    example:
      "No reader for model kind 'svm'. Known kinds: forest-classifier, gbdt-classifier, linear-regression.",
    thrownIn: ['models'],
  },
  ARTIFACT_TAMPERED: {
    httpStatus: NO_HTTP,
    summary: 'Stored bytes no longer match the SHA-256 recorded when they were written.',
    hint: 'The artifact was modified or corrupted after it was stored; re-register it from its run.',
    example:
      'Refusing artifact of churn@3: its SHA-256 is 5f2a9c01b7de… but 0b41c3e9aa12… was recorded when it was stored. The artifact was modified or corrupted; re-register it from its run.',
    thrownIn: ['core', 'track'],
  },
  ARTIFACT_VERSION_UNSUPPORTED: {
    httpStatus: NO_HTTP,
    summary: 'The artifact was written by a newer Keel (its formatVersion is above what this reader reads).',
    hint: 'Upgrade keel-ml to the version named in the message.',
    example:
      'Artifact formatVersion 3 is newer than this reader supports (2); it was written by keel-ml 0.4.0. Upgrade keel-ml to load it.',
    thrownIn: ['core', 'models', 'pipeline'],
  },
  CLI_USAGE: {
    httpStatus: NO_HTTP,
    summary: 'A command line that cannot run: unknown or missing option, bad option value, missing argument.',
    hint: "Run 'keel COMMAND --help' for the command's options.",
    example: "--task must be binary, multiclass or regression; got 'binray'.",
    thrownIn: ['cli'],
    note: 'CLI only. Library parsers of CLI-shaped input (parseWindow in monitor, task settings and model families in train) throw INVALID_ARGUMENT; the CLI reports it as CLI_USAGE with the same message.',
  },
  CONFLICT: {
    httpStatus: NO_HTTP,
    summary:
      'The change conflicts with the current state (an alias with no earlier version to roll back to).',
    hint: 'Read the message: promote a version explicitly instead of rolling back.',
    example:
      "'churn@production' (version 1) has no earlier version to roll back to. Promote a version instead.",
    thrownIn: ['track'],
    note: 'Raised by ConflictError (track); the registry’s RollbackUnavailableError is one. The server’s own conflicts use SERVE_CONFLICT.',
  },
  DATA_BINARY: {
    httpStatus: NO_HTTP,
    summary: 'The data file is binary, not text (CSV/JSON lines expected).',
    hint: 'Point to a CSV, Parquet or JSON lines file.',
    example:
      "'model.bin' is binary, not a text data file (found 212 NUL and 40 control bytes in the first 4096 bytes). Point to a CSV, Parquet or JSON lines file.",
    thrownIn: ['data'],
  },
  DATA_COLUMN_NOT_FOUND: {
    httpStatus: NO_HTTP,
    summary: 'A named column is not in the data.',
    hint: 'Check the spelling against the available columns listed in the message.',
    example: "Column 'churnd' not found. Available columns: customer_id, tenure, plan, churned.",
    thrownIn: ['data'],
  },
  DATA_DELIMITER: {
    httpStatus: NO_HTTP,
    summary: 'The CSV delimiter looks wrong (one column with the default, several with another).',
    hint: 'Pass the suggested delimiter with --delimiter.',
    example:
      "'export.csv' has a single column with delimiter ',', but it looks ';'-delimited (7 columns). Pass delimiter ';' (--delimiter \";\").",
    thrownIn: ['data'],
  },
  DATA_EMPTY: {
    httpStatus: NO_HTTP,
    summary: 'The data file holds no rows.',
    hint: 'Point to a file with data.',
    example: "'churn.csv' is empty (0 bytes). Point to a file with data.",
    thrownIn: ['data'],
  },
  DATA_ENCODING: {
    httpStatus: NO_HTTP,
    summary: 'The file is not UTF-8 (UTF-16 or Latin-1 detected).',
    hint: 'Re-save it as UTF-8, or pass the encoding with --encoding.',
    example:
      "'churn.csv' is not valid UTF-8 (byte 0xe9 on line 12); it is probably Latin-1/Windows-1252. Re-save it as UTF-8, or pass encoding 'latin-1' (--encoding latin-1).",
    thrownIn: ['data'],
  },
  DATA_FEATURE_SPEC: {
    httpStatus: NO_HTTP,
    summary: 'A feature-engineering spec refers to a missing column or clashes with an existing one.',
    hint: 'Fix the column name in the spec, or give the engineered feature another name or prefix.',
    example:
      "history refers to column 'amount', which is not in the data. Available columns: customer_id, ts, value.",
    thrownIn: ['data'],
  },
  DATA_FILE_NOT_FOUND: {
    httpStatus: NO_HTTP,
    summary: 'The data or task file does not exist, or is a directory.',
    hint: "Check the path, or the 'data' key of keel.yaml.",
    example:
      "Data file 'data/churn.csv' does not exist (looked in /home/ana/project/data/churn.csv). Check the path or the 'data' key of keel.yaml.",
    thrownIn: ['data'],
  },
  DATA_HEADER_ONLY: {
    httpStatus: NO_HTTP,
    summary: 'The CSV has a header line but no data rows.',
    hint: 'Point to a file with at least one row.',
    example: "'churn.csv' has a header line but no data rows. Point to a file with at least one row.",
    thrownIn: ['data'],
  },
  DATA_MISSING_COLUMN: {
    httpStatus: NO_HTTP,
    summary: 'Rows to score lack a feature column the model was trained with.',
    hint: 'Add the listed columns to the input (same names as at training time).',
    example: 'Input lacks feature column(s) the model needs: tenure, plan.',
    thrownIn: ['pipeline', 'train'],
  },
  DATA_NO_FEATURES: {
    httpStatus: NO_HTTP,
    summary: 'No feature columns are left once the target, id and excluded columns are removed.',
    hint: 'Check `exclude` and `id` in keel.yaml.',
    example: 'No feature columns left after removing the target, id and excluded columns.',
    thrownIn: ['train'],
  },
  DATA_PARSE: {
    httpStatus: NO_HTTP,
    summary: 'The file cannot be parsed (an unclosed quote, an invalid Parquet file).',
    hint: 'Fix the line named in the message, or save the file in the format its extension says.',
    example:
      '\'churn.csv\' has a quote opened on line 41 that is never closed. Close the quote, or double quotes inside fields ("").',
    thrownIn: ['data'],
  },
  DATA_RAGGED_ROWS: {
    httpStatus: NO_HTTP,
    summary: 'Some CSV lines have a different number of fields than the header.',
    hint: 'Fix those lines, or quote fields that contain the delimiter.',
    example:
      "'churn.csv' has ragged rows: line 7 has 5 fields but the header has 4 (delimiter ','; 1 such line(s) in the first 1000). Fix those lines or quote fields that contain the delimiter.",
    thrownIn: ['data'],
  },
  DATA_SCHEMA_MISMATCH: {
    httpStatus: NO_HTTP,
    summary:
      'A dataset built in code is inconsistent: a duplicated column name, columns of different lengths.',
    hint: 'Give every column a unique name and the same number of rows.',
    example: "Column name 'plan' appears twice.",
    thrownIn: ['data'],
  },
  DATA_SHAPE_MISMATCH: {
    httpStatus: NO_HTTP,
    summary: 'A matrix has the wrong number of columns for the fitted model.',
    hint: 'Pass the same feature columns, in the same order, as at fit time.',
    example:
      'Expected 12 feature columns (as at fit time of the model), got 11. Pass the columns used for training.',
    thrownIn: ['core'],
  },
  DATA_SPLIT: {
    httpStatus: NO_HTTP,
    summary: 'A split cannot be made as asked: a bad test size, no rows left for training, too few groups.',
    hint: 'Adjust test_size, folds or the split kind in keel.yaml.',
    example: 'The split leaves no training rows: 10 rows, 8 test and 2 validation.',
    thrownIn: ['data', 'train'],
  },
  DATA_TASK_FILE: {
    httpStatus: NO_HTTP,
    summary: 'The task file (keel.yaml) is invalid: bad YAML, an unknown key, a wrong value.',
    hint: 'Fix each problem listed; the message names the key.',
    example: "keel.yaml: task must be binary, multiclass or regression; got 'binray'",
    thrownIn: ['data'],
  },
  DATA_TOO_FEW_ROWS: {
    httpStatus: NO_HTTP,
    summary: 'Too few labelled rows to train (fewer than 10).',
    hint: 'Add data, or fill in the missing target values.',
    example: 'Only 6 labelled rows; at least 10 are needed to train.',
    thrownIn: ['train'],
  },
  DATA_TYPE: {
    httpStatus: NO_HTTP,
    summary: 'A value does not fit its column’s declared type.',
    hint: 'Fix the value, or declare the column’s type in the task file.',
    example: 'Column \'tenure\' is numeric but row 17 holds "twelve".',
    thrownIn: ['data'],
  },
  DATA_UNKNOWN_LABEL: {
    httpStatus: NO_HTTP,
    summary: 'The validation set has a target label the training set never saw.',
    hint: 'Use a stratified split, or drop the rare label.',
    example: "Validation target has label 'maybe' not seen in training.",
    thrownIn: ['train'],
  },
  DATA_WRITE: {
    httpStatus: NO_HTTP,
    summary: 'An output file could not be written.',
    hint: 'Check that the directory exists and is writable.',
    example:
      "Could not write 'out/scored.csv': ENOENT: no such file or directory. Check that the directory exists and is writable.",
    thrownIn: ['jobs', 'train'],
  },
  IMPORT_FILE_UNREADABLE: {
    httpStatus: NO_HTTP,
    summary: 'The model file given to `keel import` cannot be read.',
    hint: 'Check the path and permissions.',
    example: 'Cannot read the model file model.json: ENOENT: no such file or directory.',
    thrownIn: ['interop'],
  },
  IMPORT_FORMAT_UNKNOWN: {
    httpStatus: NO_HTTP,
    summary: 'The file is not a model format `keel import` reads (XGBoost JSON, LightGBM text, ONNX).',
    hint: 'Save XGBoost models as JSON (`booster.save_model("m.json")`), LightGBM as text, or pass --format.',
    example:
      'model.ubj looks like a binary XGBoost model: save it as JSON in Python with booster.save_model("model.json") and import that.',
    thrownIn: ['interop'],
  },
  IMPORT_INVALID: {
    httpStatus: NO_HTTP,
    summary: 'The model file is malformed: a missing or inconsistent field.',
    hint: 'Re-save the model with its producer; the message names the field.',
    example: "XGBoost model: tree 3 has no 'split_conditions'.",
    thrownIn: ['interop'],
  },
  IMPORT_UNSUPPORTED: {
    httpStatus: NO_HTTP,
    summary: 'The model uses something Keel cannot run exactly (an objective, a split kind, an input type).',
    hint: 'The message names what and where; retrain without it or export to ONNX instead.',
    example:
      "XGBoost objective 'rank:pairwise' is not supported; supported: binary:logistic, multi:softprob, reg:squarederror.",
    thrownIn: ['interop'],
  },
  IMPORT_SCHEMA_INVALID: {
    httpStatus: NO_HTTP,
    summary: 'The schema sample or schema file given to `keel import` cannot be used.',
    hint: 'Give a sample of the model’s input (--schema SAMPLE.csv) or a JSON list of {name, kind, levels}.',
    example: "schema.json: feature 'plan' has kind 'text'; use one of numeric, categorical, boolean.",
    thrownIn: ['interop'],
  },
  IMPORT_SCHEMA_MISMATCH: {
    httpStatus: NO_HTTP,
    summary: 'The schema does not match the model’s inputs or classes.',
    hint: 'The message lists the model’s inputs in order; leave the label out with --target.',
    example:
      "The model takes 30 input columns; the schema has 31 feature columns (f0, f1, label). Leave the label out with --target, or give exactly the model's inputs in order.",
    thrownIn: ['interop'],
  },
  EXPORT_UNSUPPORTED: {
    httpStatus: NO_HTTP,
    summary: 'The model cannot be exported to the requested format.',
    hint: 'ONNX export needs numeric features; the message names the columns or the model kind.',
    example:
      "Models of kind 'mlp-classifier-int8' have no ONNX export; export a linear, rf, gbdt or mlp model.",
    thrownIn: ['interop'],
  },
  ONNX_RUNTIME_FAILED: {
    httpStatus: NO_HTTP,
    summary:
      'The onnxruntime thread of an ONNX model failed a run, did not answer in time, or was used after close().',
    hint: 'Load the model again; score a very large batch in smaller batches.',
    example:
      'The ONNX runtime thread did not run the ONNX model within 60000 ms; it was stopped. Load the model again (a very large batch may need a longer timeout).',
    thrownIn: ['models'],
  },
  OPTIMIZE_UNSUPPORTED: {
    httpStatus: NO_HTTP,
    summary: 'The optimization asked for does not apply to this model kind.',
    hint: 'Quantization applies to MLPs and tree ensembles, pruning to MLPs and tree ensembles; distillation to any model.',
    example:
      "Cannot quantize a 'linear-classifier' model. Supported kinds: mlp-classifier, mlp-regressor, gbdt-classifier, gbdt-regressor.",
    thrownIn: ['optimize'],
  },
  DEPENDENCY_MISSING: {
    httpStatus: NO_HTTP,
    summary:
      'A feature needs an optional peer dependency that is not installed (LanceDB, the OpenAI or Anthropic SDK, ioredis, pg, onnxruntime-node).',
    hint: 'Run the npm install command the message names, in the project that uses keel-ml.',
    example:
      "The OpenAI-compatible LLM provider needs the optional package 'openai', which is not installed. Install it: npm install openai@^6.49.0",
    thrownIn: ['core'],
    note: 'Optional peers keep `import` of keel-ml light: each SDK loads on first use (src/core/optional-dependency.ts).',
  },
  EVAL_CALIBRATOR_INVALID: {
    httpStatus: NO_HTTP,
    summary: 'A probability calibrator was used before fit, or loaded from malformed JSON.',
    hint: 'Fit the calibrator first, or re-save it.',
    example: 'Platt calibrator JSON needs numeric a and b.',
    thrownIn: ['eval'],
  },
  EVAL_INVALID_INPUT: {
    httpStatus: NO_HTTP,
    summary: 'Inputs to a metric or evaluation routine do not fit together.',
    hint: 'Pass arrays of equal length, probabilities in [0, 1], and both classes where a metric needs them.',
    example: 'roc_auc: yTrue has 100 values but yScore has 99. Pass one value per row.',
    thrownIn: ['eval'],
  },
  EVAL_INVALID_SEARCH_SPACE: {
    httpStatus: NO_HTTP,
    summary: 'A hyperparameter search space or option cannot be sampled.',
    hint: 'Fix the bounds or choices named in the message.',
    example: 'The search space is empty; give at least one parameter.',
    thrownIn: ['eval'],
  },
  EVAL_INVALID_TREE: {
    httpStatus: NO_HTTP,
    summary: 'A tree ensemble TreeSHAP cannot walk (a bad child index or a cycle).',
    hint: 'The model artifact is damaged; re-save it from its run.',
    example: 'Tree 3 node 17 has children 90 and 91; children must have larger indices within [0, 31).',
    thrownIn: ['eval'],
  },
  EVAL_UNKNOWN_METRIC: {
    httpStatus: NO_HTTP,
    summary: 'A metric name the metric registry does not know.',
    hint: 'Use one of the metric names listed in the message.',
    example:
      "Unknown metric 'rocauc'. Known: accuracy, balanced_accuracy, f1, log_loss, pr_auc, roc_auc, …, precision_at_recall@R, recall_at_precision@P.",
    thrownIn: ['eval'],
  },
  FOREST_WORKER_FAILED: {
    httpStatus: NO_HTTP,
    summary: 'A random-forest worker thread failed while growing trees.',
    hint: 'Usually out of memory; lower nJobs or the number of trees.',
    example: 'A tree-building worker exited with code 1.',
    thrownIn: ['models'],
  },
  GBDT_PARTITION_MISMATCH: {
    httpStatus: NO_HTTP,
    summary:
      "A split's rows did not match its histogram's left count while training gradient boosting (a bug: training stops rather than build a wrong tree).",
    hint: 'Report it with the data shape and params; threads: 1 runs the same code on one thread.',
    example:
      "Partition of a split sent 812 rows left where its histogram counted 813. This is a bug in Keel's GBDT training; please report it with the data shape and params.",
    thrownIn: ['models'],
  },
  GBDT_WORKER_FAILED: {
    httpStatus: NO_HTTP,
    summary: 'A gradient-boosting worker thread failed.',
    hint: 'Usually out of memory; lower nThreads or maxBins.',
    example: 'A scoring worker thread failed.',
    thrownIn: ['runtime'],
  },
  INTERNAL: {
    httpStatus: 500,
    summary: '`POST /v1/rag/query` failed unexpectedly (a bug, or a corrupt collection).',
    hint: 'Quote the request id when reporting it; the server log has the details.',
    example: 'RAG query failed.',
    thrownIn: ['rag'],
    note: 'The RAG route answers `{code, message, requestId}` at the top level, not inside `error` like the other routes.',
  },
  INVALID_ARGUMENT: {
    httpStatus: NO_HTTP,
    summary:
      'A parameter that can never work: out of range, wrong shape, ambiguous run id prefix, an unknown model family, task kind or window.',
    hint: 'Read the message for the allowed values.',
    example: "Cannot choose a threshold for 'f1'; use precision_at_recall@R or recall_at_precision@P.",
    thrownIn: ['core', 'jobs', 'optimize', 'train'],
  },
  JOB_FAILED: {
    httpStatus: NO_HTTP,
    summary:
      'A part or trial of a distributed job failed on every try without an error of its own (its worker timed out or died), came back incomplete, or a worker read other training data than the coordinator.',
    hint: 'Check that `keel worker` processes run and see the same files at the same paths; raise --job-timeout when one part or fit takes longer.',
    example: 'Part 3 holds 1990 rows, expected 2000; its staged file is damaged. Run the command again.',
    thrownIn: ['jobs'],
  },
  KEEL_HOME_UNUSABLE: {
    httpStatus: NO_HTTP,
    summary: 'Keel cannot create its state folder: KEEL_HOME (or ./.keel) is a file, or not writable.',
    hint: 'Set KEEL_HOME to a writable directory, or move the file out of the way.',
    example:
      "Cannot create Keel's folder '/home/ana/keel.yaml' (a file is in the way). Set KEEL_HOME to a writable directory (now '/home/ana/keel.yaml').",
    thrownIn: ['core'],
  },
  LLM_ABORTED: {
    httpStatus: NO_HTTP,
    summary: 'The LLM call was cancelled by its caller (AbortSignal).',
    hint: 'Nothing to fix: the caller gave up on purpose.',
    example: 'LLM call was cancelled by the caller.',
    thrownIn: ['llm'],
  },
  LLM_AUTH: {
    httpStatus: NO_HTTP,
    summary: 'The provider rejected the credentials (401/403). Not retried.',
    hint: 'Check ANTHROPIC_API_KEY / OPENAI_API_KEY.',
    example: 'anthropic rejected the credentials (401): invalid x-api-key. Check the API key variable.',
    thrownIn: ['llm'],
  },
  LLM_BAD_REQUEST: {
    httpStatus: NO_HTTP,
    summary: 'The provider rejected the request (another 4xx: bad parameters, unknown model). Not retried.',
    hint: 'Check KEEL_LLM_MODEL and the request parameters.',
    example: 'openai rejected the request (404): The model `gpt-9` does not exist',
    thrownIn: ['llm'],
  },
  LLM_BAD_RESPONSE: {
    httpStatus: NO_HTTP,
    summary: 'The provider answered 200 with a body that is not what its API returns. Retried.',
    hint: 'Check KEEL_LLM_BASE_URL points at the API, not at a proxy’s HTML page.',
    example: 'openai-compatible endpoint returned no choices array.',
    thrownIn: ['llm'],
  },
  LLM_CACHE_UNAVAILABLE: {
    httpStatus: NO_HTTP,
    summary: 'The Redis response cache failed.',
    hint: 'Check KEEL_REDIS_URL and that Redis is running.',
    example: 'Redis cache failed: connect ECONNREFUSED 127.0.0.1:6379. Check KEEL_REDIS_URL.',
    thrownIn: ['llm'],
  },
  LLM_CONNECTION: {
    httpStatus: NO_HTTP,
    summary: 'The provider could not be reached. Retried.',
    hint: 'Check KEEL_LLM_BASE_URL and the network.',
    example:
      'Cannot reach openai: connect ECONNREFUSED 127.0.0.1:11434. Check KEEL_LLM_BASE_URL and the network.',
    thrownIn: ['llm'],
  },
  LLM_DEADLINE_EXCEEDED: {
    httpStatus: NO_HTTP,
    summary: 'The call, retries and waits included, missed its overall deadline.',
    hint: 'Raise KEEL_LLM_DEADLINE_MS, or lower the load on the provider.',
    example: 'LLM call missed its overall deadline of 180000 ms.',
    thrownIn: ['llm'],
  },
  LLM_NOT_CONFIGURED: {
    httpStatus: NO_HTTP,
    summary: 'The LLM settings are missing or invalid (provider, key, a numeric variable, the price table).',
    hint: 'Set KEEL_LLM_PROVIDER and the provider’s key; fix the variable named in the message.',
    example: "KEEL_LLM_TIMEOUT_MS must be a non-negative number, got 'soon'.",
    thrownIn: ['llm'],
  },
  LLM_OVERLOADED: {
    httpStatus: NO_HTTP,
    summary: 'The provider is overloaded (Anthropic 529). Retried.',
    hint: 'Retry later; the retry layer already waited with backoff.',
    example: 'anthropic is overloaded (529): Overloaded',
    thrownIn: ['llm'],
  },
  LLM_RATE_LIMITED: {
    httpStatus: NO_HTTP,
    summary: 'The provider kept answering 429 after every retry.',
    hint: 'Lower KEEL_LLM_CONCURRENCY, or raise your quota.',
    example: 'anthropic rate limit (429): Number of request tokens has exceeded your per-minute rate limit',
    thrownIn: ['llm'],
  },
  LLM_SERVER_ERROR: {
    httpStatus: NO_HTTP,
    summary: 'The provider failed (5xx, or a transient 408/409). Retried.',
    hint: 'Retry later.',
    example: 'openai server error (502): Bad gateway',
    thrownIn: ['llm'],
  },
  LLM_TIMEOUT: {
    httpStatus: NO_HTTP,
    summary: 'One attempt timed out. Retried.',
    hint: 'Raise KEEL_LLM_TIMEOUT_MS for long generations.',
    example: 'LLM call timed out after 60000 ms.',
    thrownIn: ['llm'],
  },
  LLM_UNKNOWN: {
    httpStatus: NO_HTTP,
    summary:
      'Recorded as `error_code` in `llm_calls` when a call failed with something other than an LlmError.',
    hint: 'A bug or an unexpected library error; the log has the original error.',
    example: '(not a message: the value of llm_calls.error_code)',
    thrownIn: ['llm'],
  },
  MODEL_CARD_INVALID: {
    httpStatus: NO_HTTP,
    summary: 'A model card does not match its schema.',
    hint: 'Fix each problem listed.',
    example: 'Invalid model card: intendedUse must be a string; metrics.roc_auc must be a number.',
    thrownIn: ['registry'],
  },
  MODEL_NOT_EXPLAINABLE: {
    httpStatus: NO_HTTP,
    summary: 'The model family has no exact explanation (TreeSHAP or linear contributions).',
    hint: 'Use a tree or linear model to get explanations.',
    example: "Model family 'mlp' has no exact explanation; use a tree or linear model.",
    thrownIn: ['pipeline'],
  },
  MODEL_NOT_FITTED: {
    httpStatus: NO_HTTP,
    summary: 'A model was used before fit, or its fitted state failed to load.',
    hint: 'Fit first, or re-save the artifact.',
    example: "Model artifact state lacks 'coefficients'.",
    thrownIn: ['core'],
    note: 'Raised through NotFittedError, kept for estimators outside Keel; Keel’s own estimators make predict-before-fit a type error (the fitted model is a separate type).',
  },
  MONITOR_EMPTY_WINDOW: {
    httpStatus: NO_HTTP,
    summary: 'No logged predictions of the model in the window a drift check looked at.',
    hint: 'Widen --window, or check that the server logs predictions.',
    example: "No logged predictions of 'churn' in the last 24h.",
    thrownIn: ['monitor'],
  },
  MONITOR_NO_LOG: {
    httpStatus: NO_HTTP,
    summary: 'The store has no prediction log table.',
    hint: "Point KEEL_DATABASE_URL at the store 'keel serve' writes to.",
    example: "No prediction log in sqlite:.keel/keel.db: has 'keel serve' run against this store?",
    thrownIn: ['monitor'],
  },
  MONITOR_NO_REFERENCE: {
    httpStatus: NO_HTTP,
    summary: 'The model version has no reference profile to compare live data with.',
    hint: 'Retrain it with this Keel version (training records the profile).',
    example: 'Run 01J8ZK3M of churn@3 has no reference profile; retrain it with this Keel version.',
    thrownIn: ['monitor'],
  },
  NOT_FOUND: {
    httpStatus: 404,
    summary:
      'A stored object looked up by name does not exist: a registered model, version or alias, a tracking run or experiment, a model card.',
    hint: "Check the name with 'keel models list' or 'keel runs list'.",
    example: "No model named 'chrun' (registered: churn, fraud). See 'keel models list'.",
    thrownIn: ['core'],
    note: 'One meaning per code: NOT_FOUND is a library lookup in the registry or tracking store (or a ModelSource over them); SERVE_NOT_FOUND is a resource of the server’s own URL space (route, A/B experiment, profiled feature); SERVE_MODEL_NOT_FOUND is a model this server does not serve. All three answer 404.',
  },
  OUTOFCORE_SOURCE: {
    httpStatus: NO_HTTP,
    summary:
      'The data for out-of-core training cannot be used: the database is unreachable, the table or files do not exist, the target column is missing or unusable, or too few rows are left.',
    hint: 'Check the --from URL and its ?table=, or the --data glob, and the --target column.',
    example: "Target column 'churn' is not in big/*.parquet (columns: id, amount, plan, churned).",
    thrownIn: ['outofcore'],
  },
  OUTOFCORE_UNSUPPORTED: {
    httpStatus: NO_HTTP,
    summary:
      'Out-of-core (SQL) training was asked for something it does not do: a model other than gbdt, a multiclass target, or a param such as subsample, colsample or class weights.',
    hint: 'Drop the param, or train in memory (without --out-of-core) where the data fits.',
    example: 'Out-of-core training does not support subsample (0.8); use 1.',
    thrownIn: ['outofcore'],
  },
  RAG_COLLECTION_CORRUPT: {
    httpStatus: 500,
    summary: 'A RAG collection’s files cannot be read.',
    hint: 'Delete the collection folder and re-ingest.',
    example:
      'Cannot read .keel/rag/docs/manifest.json: Unexpected end of JSON input. Delete the collection folder and re-ingest.',
    thrownIn: ['rag'],
  },
  RAG_COLLECTION_NOT_FOUND: {
    httpStatus: 404,
    summary: 'No collection of that name was ingested under this KEEL_HOME.',
    hint: "Run 'keel rag ingest DIR --collection NAME' first, and check KEEL_HOME.",
    example:
      "No RAG collection 'docs' under .keel/rag (found: default). Run 'keel rag ingest DIR --collection docs' first.",
    thrownIn: ['rag'],
  },
  RAG_EMBEDDER_MISMATCH: {
    httpStatus: 409,
    summary: 'The collection was embedded with another embedder than the one loaded.',
    hint: 'Re-ingest the collection.',
    example:
      "Collection 'docs' was embedded with lsa-128 but openai:text-embedding-3-small was loaded. Re-ingest the collection.",
    thrownIn: ['rag'],
  },
  RAG_EMBEDDER_UNAVAILABLE: {
    httpStatus: 503,
    summary: 'The collection’s embedder cannot be loaded (no API key, no ONNX model folder, endpoint down).',
    hint: 'Set the key, or install the model the message names.',
    example:
      "Collection 'docs' embeds with OpenAI (text-embedding-3-small); set OPENAI_API_KEY or KEEL_EMBED_API_KEY.",
    thrownIn: ['rag'],
  },
  RAG_EVAL_FILE_INVALID: {
    httpStatus: NO_HTTP,
    summary: "The file given to 'keel rag eval' cannot be read, or has invalid lines.",
    hint: 'One JSON object per line: {"question": "…", "relevant": ["path.md"]}.',
    example:
      'questions.jsonl has 1 invalid line(s):\n  line 3: relevant must be a non-empty array of strings',
    thrownIn: ['rag'],
  },
  RAG_INPUT_NOT_FOUND: {
    httpStatus: NO_HTTP,
    summary: "Files or folders given to 'keel rag ingest' do not exist.",
    hint: 'Pass existing files or folders.',
    example: 'Not found: docs/handbok.pdf. Pass existing files or folders.',
    thrownIn: ['rag'],
  },
  RAG_INVALID_ARGUMENT: {
    httpStatus: 400,
    summary: 'A RAG option that cannot work: --k out of range, unknown --mode or --embedder, no question.',
    hint: 'Read the message for the allowed values.',
    example: "--k must be an integer from 1 to 50, got '80'.",
    thrownIn: ['cli', 'rag'],
  },
  RAG_PARSE_FAILED: {
    httpStatus: NO_HTTP,
    summary: 'A document could not be parsed (a PDF without a text layer, a broken file).',
    hint: 'Run OCR on scanned PDFs first (e.g. ocrmypdf), then ingest the result.',
    example:
      'PDF scans/contract.pdf has no text layer (scanned images?). Run OCR first, e.g. ocrmypdf, then ingest the result.',
    thrownIn: ['rag'],
  },
  RAG_UNSUPPORTED_FILE: {
    httpStatus: NO_HTTP,
    summary: 'A file type ingest does not read.',
    hint: 'Ingest Markdown, text, HTML or PDF.',
    example:
      'Cannot ingest slides.pptx: supported extensions are .md, .markdown, .mdx, .txt, .html, .htm, .pdf.',
    thrownIn: ['rag'],
  },
  REGISTRY_CONSTRAINT_FAILED: {
    httpStatus: NO_HTTP,
    summary: 'Promotion to production refused: a hard constraint failed at training time.',
    hint: 'Fix the model, or pass --force with a --reason (recorded in the history).',
    example:
      'Refusing to promote churn@4 to production: hard constraint(s) failed: latency_ms. Fix the model, or pass --force with a --reason.',
    thrownIn: ['registry'],
  },
  SERVE_ADMIN_DISABLED: {
    httpStatus: 403,
    summary: 'Admin endpoints are disabled: the server has no KEEL_ADMIN_TOKEN.',
    hint: 'Start the server with KEEL_ADMIN_TOKEN set.',
    example: 'Admin endpoints are disabled: start the server with KEEL_ADMIN_TOKEN set to enable them.',
    thrownIn: ['http'],
  },
  SERVE_BAD_REQUEST: {
    httpStatus: 400,
    summary: 'The request body or query does not have the expected shape (also a batch over maxBatchRows).',
    hint: 'Fix the fields listed in `problems`.',
    example: "body must have required property 'features'",
    thrownIn: ['http', 'monitor', 'serve'],
  },
  SERVE_BODY_TOO_LARGE: {
    httpStatus: 413,
    summary: 'The request body is over bodyLimitBytes.',
    hint: 'Send smaller batches, or raise bodyLimitBytes in the serve config.',
    example: 'Request body is too large',
    thrownIn: ['http'],
  },
  SERVE_CONFIG_INVALID: {
    httpStatus: NO_HTTP,
    summary: 'The serve config is invalid (raised at startup, so never an HTTP answer).',
    hint: 'Fix every problem listed; unknown keys are named with the nearest valid one.',
    example: 'Invalid serve config:\n  models.0.timeoutMs: must be a positive integer, got -5',
    thrownIn: ['serve'],
  },
  SERVE_CONFLICT: {
    httpStatus: 409,
    summary: 'The experiment id exists, or the model already runs an experiment.',
    hint: 'Use PUT to change an experiment; stop the running one first.',
    example: "Model 'churn' already runs experiment 'churn-ab'; stop it first.",
    thrownIn: ['serve'],
  },
  SERVE_DASHBOARD_ASSETS: {
    httpStatus: NO_HTTP,
    summary: 'The monitoring dashboard’s assets (the uplot package) are missing.',
    hint: 'Reinstall Keel with its dependencies.',
    example:
      'The dashboard needs the uplot package (node_modules/uplot); reinstall Keel with its dependencies.',
    thrownIn: ['monitor'],
  },
  SERVE_DATABASE_UNAVAILABLE: {
    httpStatus: 503,
    summary: 'The database failed while storing feedback; nothing was stored.',
    hint: 'Retry later; check the database.',
    example:
      'The database is unavailable (SQLITE_BUSY: database is locked); the feedback was not stored. Retry later.',
    thrownIn: ['serve'],
  },
  SERVE_EXPLAIN_TOO_LARGE: {
    httpStatus: 422,
    summary: '?explain=true on more rows × features than the server’s explainBudget.',
    hint: 'Send fewer rows per explained request, or drop ?explain=true.',
    example:
      "?explain=true on 500 row(s) × 40 feature(s) = 20000 is over this server's explainBudget of 5000 rows × features; send at most 125 row(s) per explained request, or drop ?explain=true.",
    thrownIn: ['http'],
  },
  SERVE_EXPLAIN_UNSUPPORTED: {
    httpStatus: 422,
    summary: 'The model cannot explain its predictions.',
    hint: 'Drop ?explain=true.',
    example: "Model 'churn' version 3 cannot explain predictions; drop ?explain=true.",
    thrownIn: ['serve'],
  },
  SERVE_INTERNAL: {
    httpStatus: 500,
    summary: 'A bug: the server answers a generic message and the request id; details go to the log only.',
    hint: 'Quote the request id when reporting it.',
    example: 'Internal server error; quote the request id when reporting it.',
    thrownIn: ['http', 'serve'],
  },
  SERVE_INVALID_FEATURES: {
    httpStatus: 422,
    summary: 'Feature values are well-formed JSON but invalid for the model; `problems` lists each one.',
    hint: 'Fix the listed fields (see the request-validation problem codes below).',
    example:
      "1 invalid feature value(s); first: 'age' must be >= 0, got -3. Fix the listed fields and retry.",
    thrownIn: ['http'],
  },
  SERVE_LISTEN_FAILED: {
    httpStatus: NO_HTTP,
    summary: 'keel serve cannot listen: port in use, no such address on this machine, or no permission.',
    hint: 'Stop the other server or choose another --port; use an address of this machine for --host.',
    example:
      'Cannot listen on 127.0.0.1:8080: the port is already in use (EADDRINUSE); stop the other server or choose another --port.',
    thrownIn: ['serve'],
  },
  SERVE_LOG_WRITE_FAILED: {
    httpStatus: NO_HTTP,
    summary: 'A batch of the prediction log could not be written (retried, then dropped and counted).',
    hint: 'Check the database; keel_prediction_log_dropped_total counts what was lost.',
    example: 'Prediction log write failed: SQLITE_FULL: database or disk is full',
    thrownIn: ['predlog'],
  },
  SERVE_MODEL_NOT_FOUND: {
    httpStatus: 404,
    summary: 'The named model is not served here.',
    hint: 'Use one of the served models listed in the message (GET /v1/models).',
    example: "Model 'chrun' is not served here. Served models: churn, fraud.",
    thrownIn: ['http', 'monitor'],
  },
  SERVE_MODEL_UNAVAILABLE: {
    httpStatus: 503,
    summary: 'Every link of the model’s fallback chain failed and there is no static default.',
    hint: 'Retry later; configure a fallback or a default.',
    example: "Model 'churn' could not answer and has no working fallback. Retry later.",
    thrownIn: ['http'],
  },
  SERVE_MODEL_UNRESOLVED: {
    httpStatus: NO_HTTP,
    summary: 'A model reference in the serve config does not resolve, so keel serve refuses to start.',
    hint: "Fix the reference (see 'keel models list'), or start with --allow-degraded to serve the others meanwhile.",
    example:
      "Cannot serve model 'nosuch@production' (No model named 'nosuch' (registered: churn). See 'keel models list'.). Fix the reference, or start with --allow-degraded (config allowDegraded: true) to serve the others meanwhile.",
    thrownIn: ['serve'],
  },
  SERVE_NOT_FOUND: {
    httpStatus: 404,
    summary:
      'No such resource on the server: a route, an A/B experiment (also from keel ab report), a profiled feature of a served model.',
    hint: 'Check the URL against /openapi.json.',
    example: 'No route GET /v1/model.',
    thrownIn: ['http', 'monitor', 'serve'],
  },
  SERVE_NOT_READY: {
    httpStatus: 503,
    summary: 'A model is still loading, or the server runs without the database the request needs.',
    hint: 'Retry once /ready answers 200; configure a database for feedback and experiments.',
    example: 'Feedback needs a database; this server runs without one.',
    thrownIn: ['monitor', 'serve'],
  },
  SERVE_START_FAILED: {
    httpStatus: NO_HTTP,
    summary: 'A cluster worker of keel serve exited before it could listen.',
    hint: 'Read the worker’s output above the message; fix the cause and start again.',
    example: 'Worker 4242 exited during start-up (1); see its output above.',
    thrownIn: ['serve'],
  },
  SERVE_UNAUTHORIZED: {
    httpStatus: 401,
    summary: 'A missing or wrong bearer token.',
    hint: 'Send Authorization: Bearer with KEEL_API_TOKEN (predictions) or KEEL_ADMIN_TOKEN (admin).',
    example: 'Missing or wrong admin token: send Authorization: Bearer <KEEL_ADMIN_TOKEN>.',
    thrownIn: ['http'],
  },
  STORE_BAD_ROWS: {
    httpStatus: NO_HTTP,
    summary: 'A bulk insert got a number of values that is not a whole number of rows (a bug).',
    hint: 'Report it.',
    example: 'Expected a multiple of 9 values (9 columns of serve_predictions), got 17.',
    thrownIn: ['store'],
  },
  STORE_CONFIG: {
    httpStatus: NO_HTTP,
    summary: 'The database URL is invalid (e.g. a bad PostgreSQL schema name).',
    hint: 'Fix KEEL_DATABASE_URL.',
    example: "Invalid PostgreSQL schema name 'keel-test'.",
    thrownIn: ['store'],
  },
  STORE_UNAVAILABLE: {
    httpStatus: NO_HTTP,
    summary: 'The database cannot be opened or reached.',
    hint: 'Check KEEL_DATABASE_URL, that PostgreSQL runs, or that the SQLite folder is writable.',
    example:
      'Cannot connect to PostgreSQL at postgres://keel:***@db:5432/keel: connect ECONNREFUSED 10.0.0.5:5432',
    thrownIn: ['cli', 'jobs', 'store'],
  },
  TARGET_UNUSABLE: {
    httpStatus: NO_HTTP,
    summary:
      'The target column cannot be learned for the task (non-numeric for regression, one class, one value, a class of a single row).',
    hint: 'Pick another --task or --target.',
    example:
      "Regression needs a numeric target; 'plan' is categorical. Use --task binary|multiclass or pick a numeric target.",
    thrownIn: ['pipeline'],
  },
} as const satisfies Readonly<Record<string, ErrorCodeInfo>>

/** Every code a problem list carries: `keel validate` problems and `problems[].code` of a 400/422 body. */
export const PROBLEM_CODES = {
  ALL_MISSING: {
    reportedBy: 'keel validate',
    summary: 'Warning: every value of the column is missing; drop it.',
    example: 'Every value is missing; drop the column.',
    thrownIn: ['data'],
  },
  COLUMN_MISSING: {
    reportedBy: 'keel validate',
    summary: 'A column the task file requires is not in the data.',
    example: "Required column 'plan' is not in the data. Available columns: customer_id, tenure, churned.",
    thrownIn: ['data'],
  },
  CONSTANT_COLUMN: {
    reportedBy: 'keel validate',
    summary: 'Warning: the column has one value only, so it cannot help a model.',
    example: 'The column holds a single value; it cannot help a model. Drop it.',
    thrownIn: ['data'],
  },
  DUPLICATE_ID: {
    reportedBy: 'keel validate',
    summary: 'Rows repeat an id seen earlier (the `id` column of the task file).',
    example: '3 row(s) repeat an id seen earlier.',
    thrownIn: ['data'],
  },
  ID_NULLS: {
    reportedBy: 'keel validate',
    summary: 'Rows have no id.',
    example: '2 row(s) have no id.',
    thrownIn: ['data'],
  },
  INVALID_BODY: {
    reportedBy: 'request validation',
    summary: 'A field of the request body breaks its JSON schema (inside a 400 SERVE_BAD_REQUEST).',
    example: "must have required property 'features'",
    thrownIn: ['http', 'serve'],
  },
  INVALID_DATETIME: {
    reportedBy: 'request validation',
    summary: 'A datetime feature is not an ISO 8601 date-time.',
    example: 'must be an ISO 8601 date-time, got "yesterday"',
    thrownIn: ['serve'],
  },
  LEAKAGE_FUTURE_DATE: {
    reportedBy: 'keel validate',
    summary: 'A date column is later than the prediction time in some rows: it leaks the future.',
    example:
      "120 row(s) are dated after the prediction time 'scored_at'; such a value cannot be known when predicting.",
    thrownIn: ['data'],
  },
  LEAKAGE_ID_LIKE: {
    reportedBy: 'keel validate',
    summary: 'A feature looks like an id (unique per row); a model would memorise it.',
    example:
      "Every value is distinct, so it looks like an ID; a model can only memorise it. Declare it as 'id' or exclude it.",
    thrownIn: ['data'],
  },
  LEAKAGE_SINGLE_FEATURE: {
    reportedBy: 'keel validate',
    summary: 'One feature alone predicts the target almost perfectly: likely leakage.',
    example:
      "On its own this column predicts 'churned' almost perfectly (AUC 0.9981); it probably leaks the answer. Check how it is produced.",
    thrownIn: ['data'],
  },
  LEAKAGE_TARGET_COPY: {
    reportedBy: 'keel validate',
    summary: 'A feature is a copy (or a recoding) of the target.',
    example: "The column is a copy of the target 'churned' (values map one-to-one). Drop it.",
    thrownIn: ['data'],
  },
  LEVEL_NOT_ALLOWED: {
    reportedBy: 'keel validate',
    summary: 'Values outside the levels the task file allows.',
    example: '4 value(s) are not among the allowed levels (basic, pro, enterprise).',
    thrownIn: ['data'],
  },
  MISSING: {
    reportedBy: 'request validation',
    summary: 'A required feature is missing or null.',
    example: 'is required but missing or null',
    thrownIn: ['serve'],
  },
  NOT_FINITE: {
    reportedBy: 'request validation',
    summary: 'A numeric feature is NaN, Infinity or out of the float range ("NaN", 1e400).',
    example: 'must be a finite number, got "NaN"',
    thrownIn: ['serve'],
  },
  NULLS_FORBIDDEN: {
    reportedBy: 'keel validate',
    summary: 'Missing values in a column whose task-file rule forbids nulls.',
    example: '12 missing value(s); the task file forbids nulls here.',
    thrownIn: ['data'],
  },
  OUT_OF_RANGE: {
    reportedBy: 'keel validate',
    summary:
      'A number outside its declared min/max (keel validate: the task file’s range; request validation: the feature’s training range).',
    example: 'must be >= 0, got -3 (request); 4 value(s) fall outside [0, 120]. (keel validate)',
    thrownIn: ['data', 'serve'],
  },
  TARGET_CLASSES: {
    reportedBy: 'keel validate',
    summary:
      'The target does not have the classes the task needs (binary: exactly 2; multiclass: 3 or more; a numeric target with few values).',
    example:
      "A binary target needs exactly 2 classes; 'plan' has 3 (basic, pro, enterprise). Use task multiclass, or map the values to two classes.",
    thrownIn: ['data'],
  },
  TARGET_CONSTANT: {
    reportedBy: 'keel validate',
    summary:
      'A regression target holds a single value, so there is nothing to learn (`keel train` refuses it).',
    example:
      "Target 'y' holds a single value; there is nothing to learn. Pick another target or add rows with other values.",
    thrownIn: ['data'],
  },
  TARGET_MISSING: {
    reportedBy: 'keel validate',
    summary: 'The target column is not in the data.',
    example: "Target column 'churned' is not in the data. Available columns: customer_id, tenure, plan.",
    thrownIn: ['data'],
  },
  TARGET_NOT_NUMERIC: {
    reportedBy: 'keel validate',
    summary: 'Regression needs a numeric target.',
    example:
      "A regression target must be numeric, but 'plan' is categorical (text). Use task binary/multiclass, or fix the values.",
    thrownIn: ['data'],
  },
  TARGET_NULLS: {
    reportedBy: 'keel validate',
    summary: 'The target has missing values.',
    example: 'Target has 7 missing value(s); drop or fill those rows before training.',
    thrownIn: ['data'],
  },
  TARGET_POSITIVE_CLASS: {
    reportedBy: 'keel validate',
    summary: 'The task file’s positive_class is not one of the target’s values.',
    example: 'positive_class "Yes" is not one of the target\'s classes (no, yes).',
    thrownIn: ['data'],
  },
  TARGET_RARE_CLASS: {
    reportedBy: 'keel validate',
    summary:
      'A class occurs only once, so a stratified split cannot place it in both parts; `keel train` refuses it (TARGET_UNUSABLE). A warning when TARGET_CLASSES is already reported.',
    example:
      'Class(es) "enterprise" occur only once; stratified splits cannot place them in both parts. Drop those rows or merge them into another class.',
    thrownIn: ['data'],
  },
  TOO_FEW_ROWS: {
    reportedBy: 'keel validate',
    summary:
      'Fewer rows than the task file’s minimum, or (without one) fewer than the 10 labelled rows `keel train` needs.',
    example: 'The data has 40 rows; the task file asks for at least 100.',
    thrownIn: ['data'],
  },
  TOO_MANY_NULLS: {
    reportedBy: 'keel validate',
    summary: 'A column’s share of missing values is over the task file’s limit.',
    example: '42.0% missing; the task file allows at most 10.0%.',
    thrownIn: ['data'],
  },
  TYPE_MISMATCH: {
    reportedBy: 'keel validate',
    summary: 'A column’s values do not match the type the task file declares.',
    example: 'Declared numeric but read as categorical; 3 value(s) are not numeric.',
    thrownIn: ['data'],
  },
  UNEXPECTED_FIELD: {
    reportedBy: 'request validation',
    summary: 'A field that is not a feature of the model (with `extraFields: reject`).',
    example: 'is not a feature of this model',
    thrownIn: ['serve'],
  },
  UNKNOWN_LEVEL: {
    reportedBy: 'request validation',
    summary: 'A categorical feature has a level unseen in training (with `unknownLevel: reject`).',
    example: "has unknown level 'platinum'; known levels: basic, pro, enterprise",
    thrownIn: ['serve'],
  },
  WRONG_TYPE: {
    reportedBy: 'request validation',
    summary: 'A feature value has the wrong JSON type.',
    example: 'must be a number, got string "twelve"',
    thrownIn: ['serve'],
  },
} as const satisfies Readonly<Record<string, ProblemCodeInfo>>

/** A stable error code: the `code` of an `AppError` (a union, so a typo is a compile error). */
export type ErrorCode = keyof typeof ERROR_CODES

/** A stable problem code: the `code` of one entry of a problem list. */
export type ProblemCode = keyof typeof PROBLEM_CODES

/** True when `code` is a catalogued error code. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code)
}
