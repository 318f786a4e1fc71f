import { performance } from 'node:perf_hooks'
import type { Dataset } from '../data/index.js'
import { datasetToRecords, selectRows } from '../data/index.js'
import type { ModelBundle } from '../pipeline/index.js'
import { isInterpretable, type ModelFamily } from './families.js'

/** Constraints from the task file. */
export interface ConstraintSpec {
  readonly latencyMs?: number
  readonly modelSizeMb?: number
  readonly interpretability?: 'required' | 'preferred' | 'none'
}

/** One checked constraint. A failed hard constraint keeps the model out of production. */
export interface ConstraintCheck {
  readonly name: 'latency_ms' | 'model_size_mb' | 'interpretability'
  readonly limit: number | string
  readonly measured: number | string
  readonly passed: boolean
  readonly hard: boolean
}

/** Median in-process latency of scoring one row (ms), measured over `repeats` single-row calls. */
export function measureSingleRowLatencyMs(bundle: ModelBundle, ds: Dataset, repeats = 200): number {
  const n = Math.min(ds.nRows, 50)
  const records = datasetToRecords(
    selectRows(
      ds,
      Int32Array.from({ length: n }, (_, i) => i),
    ),
  )
  for (let i = 0; i < 20; i++) bundle.predictRecords([records[i % n]!])
  const times: number[] = []
  for (let i = 0; i < repeats; i++) {
    const start = performance.now()
    bundle.predictRecords([records[i % n]!])
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]!
}

/** Checks the task file's constraints against a trained bundle. */
export function checkConstraints(
  spec: ConstraintSpec,
  bundle: ModelBundle,
  artifactBytes: number,
  latencyMs: number,
): ConstraintCheck[] {
  const checks: ConstraintCheck[] = []
  if (spec.latencyMs !== undefined) {
    checks.push({
      name: 'latency_ms',
      limit: spec.latencyMs,
      measured: round(latencyMs),
      passed: latencyMs <= spec.latencyMs,
      hard: true,
    })
  }
  if (spec.modelSizeMb !== undefined) {
    const mb = artifactBytes / 1_048_576
    checks.push({
      name: 'model_size_mb',
      limit: spec.modelSizeMb,
      measured: round(mb),
      passed: mb <= spec.modelSizeMb,
      hard: true,
    })
  }
  if (spec.interpretability !== undefined && spec.interpretability !== 'none') {
    const ok = isInterpretable(bundle.family as ModelFamily)
    checks.push({
      name: 'interpretability',
      limit: spec.interpretability,
      measured: ok
        ? `${bundle.family}: explainable (coefficients or exact TreeSHAP)`
        : `${bundle.family}: not explainable`,
      passed: ok,
      hard: spec.interpretability === 'required',
    })
  }
  return checks
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000
}
