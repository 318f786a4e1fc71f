import { type ParseArgsConfig, parseArgs } from 'node:util'
import { AppError } from '../core/index.js'

/** Option spec for `parseCommandArgs`: node:util parseArgs options. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>

/** Parsed values: strings, booleans or (with `multiple`) arrays of them. */
export interface ParsedArgs {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>
  readonly positionals: string[]
}

/** Parses argv with node:util, turning its errors into a clear usage error (exit 2). */
export function parseCommandArgs(argv: readonly string[], options: OptionSpec, usage: string): ParsedArgs {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new AppError('CLI_USAGE', `${message}\n${usage}`)
  }
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
