import type { TrainProgress } from '../train/index.js'

/**
 * Progress display for training on stderr: one live, rewritten status line on a terminal, plain
 * lines otherwise (CI logs, pipes). stdout stays free for `--json`.
 */
export function makeProgressPrinter(options: { quiet?: boolean } = {}): {
  onProgress: (event: TrainProgress) => void
  done(): void
} {
  const isTty = process.stderr.isTTY === true
  const start = Date.now()
  let best = ''
  let lastLine = ''
  const elapsed = (): string => `${((Date.now() - start) / 1000).toFixed(1)}s`
  const write = (line: string, transient: boolean): void => {
    if (options.quiet === true) return
    if (isTty) {
      process.stderr.write(`\r\x1b[2K${line}`)
      if (!transient) process.stderr.write('\n')
      lastLine = transient ? line : ''
    } else if (!transient) {
      process.stderr.write(`${line}\n`)
    }
  }
  return {
    onProgress(event) {
      switch (event.kind) {
        case 'stage':
          write(`[${elapsed()}] ${event.message}`, false)
          break
        case 'fold':
          write(
            `[${elapsed()}] ${event.family} fold ${event.fold}/${event.folds}: ${event.score.toFixed(4)}${best ? ` (best so far: ${best})` : ''}`,
            event.fold < event.folds,
          )
          break
        case 'candidate':
          best = `${event.best}`
          write(
            `[${elapsed()}] ${event.family}: cv ${event.score.toFixed(4)}; best so far ${event.best}`,
            false,
          )
          break
        case 'trial':
          write(
            `[${elapsed()}] tuning ${event.family}: trial ${event.trial}/${event.trials} cv ${event.score.toFixed(4)} (best ${event.best.toFixed(4)})`,
            false,
          )
          break
        case 'iteration':
          write(
            `[${elapsed()}] ${event.family} iteration ${event.iteration}: loss ${event.loss.toFixed(5)}`,
            true,
          )
          break
        default: {
          const never: never = event
          return never
        }
      }
    },
    done() {
      if (isTty && lastLine !== '' && options.quiet !== true) process.stderr.write('\r\x1b[2K')
    },
  }
}
