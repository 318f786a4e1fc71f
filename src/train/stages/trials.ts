import { performance } from 'node:perf_hooks'
import { InvalidArgumentError, takeValues } from '../../core/index.js'
import { selectRows } from '../../data/index.js'
import { fitFamily } from './fit.js'
import { scoreBundle } from './test.js'
import type { PreparedData, TrainSpec, TrialResult, TrialRunner, TrialSpec } from './types.js'

/**
 * Fits the trial's family on its fold's training rows and scores the primary metric on the fold's
 * validation rows. What every runner runs, in this process or in a `keel worker`.
 *
 * @throws InvalidArgumentError for a fold the data has not; the fit's own error unless the trial
 *   tolerates errors (then the result's score is NaN and `error` says why).
 */
export async function runTrial(prep: PreparedData, spec: TrainSpec, trial: TrialSpec): Promise<TrialResult> {
  const fold = prep.folds[trial.fold]
  if (fold === undefined)
    throw new InvalidArgumentError(
      `Trial '${trial.label}' asks for fold ${trial.fold}; the data has ${prep.folds.length} folds.`,
    )
  const { trainDs, yTrain, primary } = prep
  const start = performance.now()
  try {
    const fitted = await fitFamily({
      family: trial.family,
      ds: selectRows(trainDs, fold.train),
      y: takeValues(yTrain, fold.train),
      target: prep.target,
      features: prep.features,
      spec,
      ...(trial.params === undefined ? {} : { params: trial.params }),
    })
    const validDs = selectRows(trainDs, fold.valid)
    const score = scoreBundle(fitted.bundle, validDs, takeValues(yTrain, fold.valid), [primary])[primary]!
    return { score, seconds: (performance.now() - start) / 1000 }
  } catch (error) {
    if (!trial.tolerateErrors) throw error
    return {
      score: Number.NaN,
      seconds: (performance.now() - start) / 1000,
      error: error instanceof Error ? error.message : String(error),
    }
  }
}

/** The default runner: the trials one after another, in this process (what `keel train` always did). */
export const inProcessTrialRunner: TrialRunner = {
  async run(prep, spec, trials, onResult) {
    const results: TrialResult[] = []
    for (const [index, trial] of trials.entries()) {
      const result = await runTrial(prep, spec, trial)
      results.push(result)
      onResult?.(index, result)
    }
    return results
  },
}

/** The runner a spec asks for, else the in-process one. */
export function trialRunnerOf(spec: TrainSpec): TrialRunner {
  return spec.trialRunner ?? inProcessTrialRunner
}

/**
 * Turns results that arrive in any order into calls of `emit` in trial order, each as soon as it
 * and every trial before it are in: progress lines read the same however the trials ran.
 */
export class InOrder {
  private readonly results: (TrialResult | undefined)[]
  private next = 0

  constructor(
    count: number,
    private readonly emit: (index: number, result: TrialResult) => void,
  ) {
    this.results = new Array<TrialResult | undefined>(count)
  }

  /** Takes one result (a runner's `onResult`). */
  readonly add = (index: number, result: TrialResult): void => {
    this.results[index] = result
    while (this.next < this.results.length && this.results[this.next] !== undefined) {
      this.emit(this.next, this.results[this.next]!)
      this.next++
    }
  }

  /** Emits what a runner returned without reporting it through `onResult`. */
  finish(results: readonly TrialResult[]): void {
    for (const [index, result] of results.entries())
      if (this.results[index] === undefined) this.add(index, result)
  }
}
