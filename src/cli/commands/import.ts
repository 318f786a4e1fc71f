import { AppError } from '../../core/index.js'
import { type ImportFormat, importModel } from '../../interop/index.js'
import type { TaskKind } from '../../models/index.js'
import { flagOpt, parseCommandArgs, requireOption, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { formatValue, info, printJson } from '../output.js'

const USAGE = `Usage: keel import FILE --name NAME [--format xgboost|onnx|lightgbm]
                   [--schema SAMPLE.csv | --schema-json F] [--target C] [--json]

Registers a model trained elsewhere as a new version of NAME, with a feature schema, a model card
that says where it came from (format, producer version, file hash) and, when a sample is given, a
reference profile so monitoring works. From then on it is a model like any other: keel predict,
keel serve (validation, explanations for trees, A/B, shadow, canary, fallback, prediction log,
drift) and keel models promote.

XGBoost JSON (booster.save_model("m.json")) and LightGBM text models become Keel's own packed
forest (WebAssembly scorer, TreeSHAP explanations); ONNX graphs run on onnxruntime-node (an optional
peer: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0).

  FILE                 the model file
  --name NAME          registry name of the new version
  --format F           xgboost, onnx or lightgbm (default: detected from the file)
  --schema SAMPLE      a sample of the model's input (CSV, Parquet, JSON lines): the feature names
                       and types; for a graph that takes one float tensor, the sample's feature
                       columns in order are the tensor's columns. The --target column is left out.
  --schema-json F      the features as JSON: [{"name": "age", "kind": "numeric"},
                       {"name": "plan", "kind": "categorical", "levels": ["basic", "pro"]}]
                       (levels in the model's code order)
  --target C           the label column of the sample: left out of the features; when present, the
                       import is scored on the sample and the card shows those figures
  --task T             binary, multiclass or regression (needed for an ONNX graph with one output
                       column; checked against the file otherwise)
  --logits             ONNX: the output is a logit (or class scores), not a probability
  --positive LABEL     binary: the label of the positive class (default 1, else the minority label)
  --classes A,B,...    multiclass: the labels in the model's class order
  --json               print one JSON object on stdout

Binary models answer like Keel's own: keel predict writes 'prediction' and 'probability' (of the
positive class).`

const FORMATS: readonly ImportFormat[] = ['xgboost', 'onnx', 'lightgbm']
const TASKS: readonly TaskKind[] = ['binary', 'multiclass', 'regression']

function usage(message: string): AppError {
  return new AppError('CLI_USAGE', `${message} Run 'keel import --help' for its options.`)
}

/** `keel import`. */
export const importCommand: Command = {
  name: 'import',
  summary: 'register a model trained elsewhere (XGBoost JSON, LightGBM text, ONNX)',
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      {
        name: { type: 'string' },
        format: { type: 'string' },
        schema: { type: 'string' },
        'schema-json': { type: 'string' },
        target: { type: 'string' },
        task: { type: 'string' },
        logits: { type: 'boolean' },
        positive: { type: 'string' },
        classes: { type: 'string' },
        json: { type: 'boolean' },
      },
      USAGE,
      { command: 'keel import', maxPositionals: 1, positionalHint: 'give one model file' },
    )
    const file = args.positionals[0]
    if (file === undefined) throw usage('Missing the model file: keel import FILE --name NAME.')
    const name = requireOption(stringOpt(args, 'name'), 'name', USAGE)
    const format = stringOpt(args, 'format')
    if (format !== undefined && !FORMATS.includes(format as ImportFormat))
      throw usage(`--format must be one of ${FORMATS.join(', ')}; got '${format}'.`)
    const task = stringOpt(args, 'task')
    if (task !== undefined && !TASKS.includes(task as TaskKind))
      throw usage(`--task must be one of ${TASKS.join(', ')}; got '${task}'.`)
    const classes = stringOpt(args, 'classes')
    const json = flagOpt(args, 'json')
    const schemaPath = stringOpt(args, 'schema')
    const schemaJsonPath = stringOpt(args, 'schema-json')
    const target = stringOpt(args, 'target')
    const positiveLabel = stringOpt(args, 'positive')
    const result = await importModel({
      file,
      name,
      ...(format === undefined ? {} : { format: format as ImportFormat }),
      ...(schemaPath === undefined ? {} : { schemaPath }),
      ...(schemaJsonPath === undefined ? {} : { schemaJsonPath }),
      ...(target === undefined ? {} : { target }),
      ...(task === undefined ? {} : { task: task as TaskKind }),
      ...(flagOpt(args, 'logits') ? { logits: true } : {}),
      ...(positiveLabel === undefined ? {} : { positiveLabel }),
      ...(classes === undefined ? {} : { classes: classes.split(',').map((c) => c.trim()) }),
      onProgress: (message) => info(`  ${message}`),
    })
    if (json) {
      printJson(result)
      return 0
    }
    info(`Imported ${file} (${result.format}, ${result.producer}) as ${result.model}`)
    info(
      `  task: ${result.task}${result.classes.length > 0 ? ` (classes: ${result.classes.join(', ')})` : ''}`,
    )
    info(`  features: ${result.features.map((f) => `${f.name}:${f.kind}`).join(', ')}`)
    info(`  sha256: ${result.sha256}`)
    const metrics = Object.entries(result.metrics)
    if (metrics.length > 0)
      info(`  on the sample: ${metrics.map(([k, v]) => `${k} ${formatValue(v)}`).join(', ')}`)
    for (const n of result.notes) info(`  note: ${n}`)
    info(
      `Next: keel predict --model ${result.model} --input FILE --output OUT, or keel serve --models ${result.model}`,
    )
    return 0
  },
}
