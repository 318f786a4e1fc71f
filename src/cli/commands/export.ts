import { writeFileSync } from 'node:fs'
import { AppError } from '../../core/index.js'
import { exportOnnx } from '../../interop/index.js'
import { loadBundleByRef } from '../../train/index.js'
import { flagOpt, parseCommandArgs, requireOption, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { info, printJson } from '../output.js'

const USAGE = `Usage: keel export REF --format onnx --output F [--precision float32|float64] [--json]

Writes a registered model as an ONNX graph that onnxruntime (or any ONNX runtime) runs without Keel.
For a model trained on numeric columns only, the graph takes one float tensor 'input' [N, features]
whose columns are the training features in schema order (NaN for missing), and outputs what
keel predict writes: 'probability' [N,1] (binary: of the positive class), 'probabilities' [N,k]
(multiclass) or 'value' [N,1] (regression), plus 'label' for classifiers. GBDT and random forests
become ai.onnx.ml TreeEnsemble graphs; linear models and MLPs Gemm/MatMul graphs with Keel's
preprocessing (median fill, missing flags, scaling) inside.

  REF                 a registry reference: NAME, NAME@VERSION or NAME@ALIAS
  --format onnx       the only export format
  --output F          the file to write
  --precision P       float32 (default) or float64 input and thresholds
  --json              print one JSON object on stdout`

/** `keel export`. */
export const exportCommand: Command = {
  name: 'export',
  summary: 'write a registered model as an ONNX graph',
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      {
        format: { type: 'string' },
        output: { type: 'string' },
        precision: { type: 'string' },
        json: { type: 'boolean' },
      },
      USAGE,
      { command: 'keel export', maxPositionals: 1, positionalHint: 'give one model reference' },
    )
    const ref = args.positionals[0]
    if (ref === undefined)
      throw new AppError(
        'CLI_USAGE',
        "Missing the model reference: keel export REF --format onnx --output F. Run 'keel export --help'.",
      )
    const format = requireOption(stringOpt(args, 'format'), 'format', USAGE)
    if (format !== 'onnx')
      throw new AppError('CLI_USAGE', `--format must be onnx (the only export format); got '${format}'.`)
    const output = requireOption(stringOpt(args, 'output'), 'output', USAGE)
    const precision = stringOpt(args, 'precision') ?? 'float32'
    if (precision !== 'float32' && precision !== 'float64')
      throw new AppError('CLI_USAGE', `--precision must be float32 or float64; got '${precision}'.`)
    const { bundle, name, version } = await loadBundleByRef(ref)
    try {
      const exported = exportOnnx(bundle, { precision })
      writeFileSync(output, exported.bytes)
      const result = {
        model: `${name}@${version}`,
        format: 'onnx',
        output,
        bytes: exported.bytes.byteLength,
        input: exported.inputName,
        outputName: exported.outputName,
        features: exported.featureNames,
        notes: exported.notes,
      }
      if (flagOpt(args, 'json')) printJson(result)
      else {
        info(`Exported ${result.model} -> ${output} (ONNX, ${result.bytes} bytes)`)
        info(`  input '${result.input}': [N, ${result.features.length}] = ${result.features.join(', ')}`)
        info(`  output '${result.outputName}'`)
        for (const n of result.notes) info(`  note: ${n}`)
      }
    } finally {
      await bundle.close()
    }
    return 0
  },
}
