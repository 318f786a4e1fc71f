/** One `keel` sub-command. `run` returns the process exit code. */
export interface Command {
  readonly name: string
  readonly summary: string
  /** Full help text shown by `keel NAME --help`. */
  readonly usage: string
  run(argv: readonly string[]): Promise<number>
}
