import { AppError } from '../../core/index.js'
import { type OptimizeMethod, optimizeVersion } from '../../optimize/index.js'
import { flagOpt, parseCommandArgs, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { info, printJson } from '../output.js'

const USAGE = `Usage: keel optimize REF (--quantize int8|float16 | --prune AMOUNT | --distill --student gbdt|linear|mlp [--trees N])
                     [--data FILE] [--name NAME] [--json]

Registers a smaller or faster version derived from REF. Its model card records the parent
(lineage) and the trade-off, and the parent's constraints are checked on it like any training run.
Parent and child are measured on the parent's held-out rows (the split its training run used):
artifact size, single-row latency, batch rows/s and the primary metric.

  REF                  the parent: NAME, NAME@VERSION or NAME@ALIAS
  --quantize MODE      int8 (per-channel scales) or float16 MLP weights; tree models get float32
                       thresholds and leaf values
  --prune AMOUNT       a share in [0, 1) to remove, or 'auto': MLP weights (magnitude) with a short
                       fine-tune; GBDT/RF trees past the point of diminishing returns (GBDT also
                       merges leaves whose split does not pay)
  --structured         with --prune on an MLP: remove whole neurons (a narrower, faster network)
  --distill            train a small student on the parent's soft predictions over the training
                       rows plus sampled neighbours
  --student F          the student: gbdt, linear or mlp
  --trees N            boosting rounds of a gbdt student (default: a tenth of a GBDT parent's)
  --data FILE          the parent's training data (default: the file its model card names)
  --name NAME          register the child under NAME (default: the parent's name)
  --json               print one JSON object on stdout`

function usage(message: string): AppError {
  return new AppError('CLI_USAGE', `${message} Run 'keel optimize --help' for its options.`)
}

/** Reads exactly one of --quantize, --prune, --distill. */
function methodOf(args: ReturnType<typeof parseCommandArgs>): OptimizeMethod {
  const quantize = stringOpt(args, 'quantize')
  const prune = stringOpt(args, 'prune')
  const distill = flagOpt(args, 'distill')
  const chosen = [quantize !== undefined, prune !== undefined, distill].filter(Boolean).length
  if (chosen !== 1) throw usage('Give exactly one of --quantize, --prune or --distill.')
  if (quantize !== undefined) {
    if (quantize !== 'int8' && quantize !== 'float16')
      throw usage(`--quantize must be int8 or float16; got '${quantize}'.`)
    return { kind: 'quantize', mode: quantize }
  }
  if (prune !== undefined) {
    const amount = prune === 'auto' ? 'auto' : Number(prune)
    if (amount !== 'auto' && !(Number.isFinite(amount) && amount >= 0 && amount < 1))
      throw usage(`--prune takes a share in [0, 1) or 'auto'; got '${prune}'.`)
    return { kind: 'prune', amount, ...(flagOpt(args, 'structured') ? { structured: true } : {}) }
  }
  const student = stringOpt(args, 'student')
  if (student !== 'gbdt' && student !== 'linear' && student !== 'mlp')
    throw usage(
      `--distill needs --student gbdt, linear or mlp${student === undefined ? '' : `; got '${student}'`}.`,
    )
  const treesText = stringOpt(args, 'trees')
  const trees = treesText === undefined ? undefined : Number(treesText)
  if (trees !== undefined && !(Number.isInteger(trees) && trees >= 1))
    throw usage(`--trees takes a positive whole number; got '${treesText}'.`)
  if (trees !== undefined && student !== 'gbdt') throw usage('--trees applies to a gbdt student only.')
  return { kind: 'distill', student, ...(trees === undefined ? {} : { trees }) }
}

/** `keel optimize`. */
export const optimizeCommand: Command = {
  name: 'optimize',
  summary: 'quantize, prune or distill a model into a new version, with the trade-off table',
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      {
        quantize: { type: 'string' },
        prune: { type: 'string' },
        structured: { type: 'boolean' },
        distill: { type: 'boolean' },
        student: { type: 'string' },
        trees: { type: 'string' },
        data: { type: 'string' },
        name: { type: 'string' },
        json: { type: 'boolean' },
      },
      USAGE,
      { command: 'keel optimize', maxPositionals: 1, positionalHint: 'give one model reference' },
    )
    const ref = args.positionals[0]
    if (ref === undefined) throw usage('Missing the model reference: keel optimize REF --quantize int8.')
    const method = methodOf(args)
    const dataPath = stringOpt(args, 'data')
    const name = stringOpt(args, 'name')
    const result = await optimizeVersion({
      ref,
      method,
      ...(dataPath === undefined ? {} : { dataPath }),
      ...(name === undefined ? {} : { name }),
      onProgress: (message) => info(`  ${message}`),
    })
    if (flagOpt(args, 'json')) {
      printJson(result)
      return 0
    }
    info(`Registered ${result.model}: ${result.method} of ${result.parent}`)
    for (const c of result.changes) info(`  ${c}`)
    process.stdout.write(`${result.table}\n`)
    for (const c of result.constraints)
      info(`  constraint ${c.name}: ${c.passed ? 'pass' : 'FAIL'} (${c.measured} vs ${c.limit})`)
    if (!result.eligibleForProduction) info('  fails a hard constraint: not eligible for production')
    return 0
  },
}
