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

/**
 * Progress bar for row-by-row work (batch scoring) on stderr, drawn only when stderr is a terminal
 * so logs and pipes stay clean. Once the total is known (`totalRows` or `setTotal`) it shows a bar
 * and a percentage; before that, the rows done and the rate.
 */
export function makeRowProgress(
  options: { totalRows?: number; label?: string; isTty?: boolean; write?: (text: string) => void } = {},
): {
  status(text: string): void
  setTotal(totalRows: number): void
  update(rowsDone: number): void
  done(): void
} {
  const isTty = options.isTty ?? process.stderr.isTTY === true
  const write = options.write ?? ((text: string) => void process.stderr.write(text))
  const label = options.label ?? 'scored'
  let start = Date.now()
  let lastDrawMs = 0
  let drawn = false
  let totalRows = options.totalRows
  const draw = (rowsDone: number): void => {
    const seconds = (Date.now() - start) / 1000
    const rate = seconds > 0 ? Math.round(rowsDone / seconds) : 0
    const total = totalRows
    let bar = ''
    if (total !== undefined && total > 0) {
      const fraction = Math.min(1, rowsDone / total)
      const width = 24
      const full = Math.round(fraction * width)
      bar = `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${Math.floor(fraction * 100)}% `
    }
    const of = total !== undefined && total > 0 ? `/${total.toLocaleString('en-US')}` : ''
    write(
      `\r\x1b[2K${bar}${label} ${rowsDone.toLocaleString('en-US')}${of} rows, ${rate.toLocaleString('en-US')} rows/s, ${seconds.toFixed(1)}s`,
    )
    drawn = true
  }
  return {
    status(text) {
      if (!isTty) return
      write(`\r\x1b[2K${text}`)
      drawn = true
    },
    setTotal(n) {
      totalRows = n
      // Rows start flowing now (after staging): the rate counts from here.
      start = Date.now()
    },
    update(rowsDone) {
      if (!isTty) return
      // Redraw at most ten times a second: a terminal write per small chunk would cost more than the work.
      const now = Date.now()
      if (now - lastDrawMs < 100) return
      lastDrawMs = now
      draw(rowsDone)
    },
    done() {
      if (isTty && drawn) write('\r\x1b[2K')
    },
  }
}
