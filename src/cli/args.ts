import { type ParseArgsConfig, parseArgs } from 'node:util'
import { AppError, didYouMean, InvalidArgumentError } from '../core/index.js'

/** Option spec for `parseCommandArgs`: node:util parseArgs options. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>

/** Parsed values: strings, booleans or (with `multiple`) arrays of them. */
export interface ParsedArgs {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>
  readonly positionals: string[]
}

/** What a command accepts besides its options, so that anything else is rejected by name. */
export interface CommandShape {
  /** The command as the user typed it, for messages: `keel train`, `keel runs show`. */
  readonly command: string
  /** Most positional arguments the command uses (default 0); extra ones are a usage error. */
  readonly maxPositionals?: number
  /** Added to the "unexpected argument" message, e.g. `pass the data file with --data FILE`. */
  readonly positionalHint?: string
}

/** `text` ended with a full stop unless it already ends a sentence, then `after`. */
function sentence(text: string, after: string): string {
  return `${/[.?!]$/.test(text) ? text : `${text}.`} ${after}`
}

/**
 * `--alpha -0.5` → `--alpha=-0.5`: node:util reads a value starting with a dash as a missing value,
 * but a negative number after a string option can only be its value.
 */
function joinNegativeValues(argv: readonly string[], options: OptionSpec): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const next = argv[i + 1]
    if (arg === '--') {
      out.push(...argv.slice(i))
      break
    }
    const long = /^--([^=]+)$/.exec(arg)?.[1]
    if (
      long !== undefined &&
      options[long]?.type === 'string' &&
      next !== undefined &&
      /^-\.?\d/.test(next)
    ) {
      out.push(`${arg}=${next}`)
      i++
    } else out.push(arg)
  }
  return out
}

function usageError(message: string, details: Record<string, unknown>): AppError {
  return new AppError('CLI_USAGE', message, { details })
}

/**
 * Runs a library parser on command-line input (`parseWindow`, `parseFamily`, `resolveTaskSettings`)
 * and reports its `INVALID_ARGUMENT` as `CLI_USAGE`, same message: to a library caller it is a bad
 * argument, to the command line a bad flag. Other errors pass through unchanged.
 */
export function asUsage<T>(parse: () => T): T {
  const toUsage = (error: unknown): never => {
    if (error instanceof InvalidArgumentError)
      throw new AppError('CLI_USAGE', error.message, { cause: error, details: { ...error.details } })
    throw error
  }
  try {
    const result = parse()
    return (result instanceof Promise ? result.catch(toUsage) : result) as T
  } catch (error) {
    return toUsage(error)
  }
}

/**
 * Parses argv with node:util and rejects, with one line naming the argument, anything the command
 * does not use: an unknown option (with the nearest known one suggested), a value given to a flag,
 * a missing option value, and positional arguments beyond `shape.maxPositionals` (so that
 * `keel train data.csv` fails instead of silently ignoring the file).
 * @throws AppError `CLI_USAGE` (exit code 2)
 */
export function parseCommandArgs(
  argv: readonly string[],
  options: OptionSpec,
  usage: string,
  shape?: CommandShape,
): ParsedArgs {
  const command = shape?.command ?? /^Usage:\s*(keel [a-z-]+)/m.exec(usage)?.[1] ?? 'keel'
  const help = `Run '${command} --help' for its options.`
  const flags = Object.keys(options).map((name) => `--${name}`)
  const args = joinNegativeValues(argv, options)
  // A lenient pass first, to name the offending token ourselves: node's strict errors are long and
  // suggest nothing.
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true })
  for (const token of tokens) {
    if (token.kind !== 'option') continue
    const spec = options[token.name]
    const name = token.rawName
    if (spec === undefined)
      throw usageError(sentence(`Unknown option '${name}' for ${command}${didYouMean(name, flags)}`, help), {
        argument: name,
      })
    if (spec.type === 'boolean' && token.inlineValue === true)
      throw usageError(
        sentence(`Option '${name}' is a flag and takes no value; got '${token.value}'`, help),
        {
          argument: name,
        },
      )
    if (
      spec.type === 'string' &&
      (token.value === undefined ||
        (!token.inlineValue && token.value.length > 1 && token.value.startsWith('-')))
    )
      throw usageError(sentence(`Option '${name}' needs a value`, help), { argument: name })
  }
  let parsed: ParsedArgs
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    // Not expected after the checks above; kept so that any other node:util complaint is a usage error.
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)
    throw usageError(sentence(message, help), {})
  }
  const max = shape === undefined ? Number.POSITIVE_INFINITY : (shape.maxPositionals ?? 0)
  const extra = parsed.positionals[max]
  if (extra !== undefined) {
    const takes = max === 0 ? 'takes no positional arguments' : `takes at most ${max} positional argument(s)`
    const hint = shape?.positionalHint === undefined ? '' : `; ${shape.positionalHint}`
    throw usageError(`Unexpected argument '${extra}': ${command} ${takes}${hint}. ${help}`, {
      argument: extra,
    })
  }
  return parsed
}

/**
 * Runs `body` on a store the command opened (the registry, the tracking store) and closes it after,
 * whether `body` succeeded or threw.
 */
export async function withOpened<S extends { close(): Promise<void> }, T>(
  open: () => Promise<S>,
  body: (store: S) => Promise<T>,
): Promise<T> {
  const store = await open()
  try {
    return await body(store)
  } finally {
    await store.close()
  }
}

/**
 * Runs the sub-command `argv[0]` names from `table` (in the order `--help` lists them) with the rest
 * of argv. A missing or unknown one throws {@link unknownSubcommand}'s usage error, listing the
 * table's names.
 */
export function runSubcommand(
  command: string,
  argv: readonly string[],
  table: Readonly<Record<string, (argv: readonly string[]) => Promise<number>>>,
): Promise<number> {
  const [sub, ...rest] = argv
  const run = sub !== undefined && Object.hasOwn(table, sub) ? table[sub] : undefined
  if (run === undefined) throw unknownSubcommand(command, sub, Object.keys(table))
  return run(rest)
}

/**
 * Throws a usage error for a sub-command that does not exist, suggesting the nearest one
 * (`keel models promot` → "did you mean 'promote'?").
 */
export function unknownSubcommand(
  command: string,
  sub: string | undefined,
  known: readonly string[],
): AppError {
  if (sub === undefined)
    return usageError(`${command} needs a sub-command: ${known.join(', ')}. Run '${command} --help'.`, {})
  return usageError(
    sentence(
      `Unknown sub-command '${sub}' for ${command}${didYouMean(sub, known)}`,
      `Use one of: ${known.join(', ')}.`,
    ),
    { argument: sub },
  )
}

/** A string option's value (undefined when absent). */
export function stringOpt(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name]
  return typeof v === 'string' ? v : undefined
}

/** A boolean flag's value. */
export function flagOpt(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true
}

/** Throws a usage error when a required option is missing. */
export function requireOption(value: string | undefined, flag: string, usage: string): string {
  if (value === undefined || value === '')
    throw new AppError('CLI_USAGE', `Missing required option --${flag}.\n${usage}`)
  return value
}
