/**
 * The serving benches' data (bench/serve.ts, bench/serve-ceiling.ts): churn-like rows of 20 numeric
 * features, the CSV the FastAPI anchor trains on, and the request bodies both benches send, shared so
 * the two measure the same work.
 */
import { writeFileSync } from 'node:fs'
import { Rng } from '../../src/core/index.js'

export const N_FEATURES = 20
export const NAMES: readonly string[] = Array.from({ length: N_FEATURES }, (_, i) => `f${i}`)

/** Churn-like data as a row-major matrix, 0/1 labels and the rows themselves. */
export interface ChurnData {
  readonly x: Float64Array
  readonly y: Float64Array
  readonly rows: readonly number[][]
}

/** Churn-like data: 20 numeric features, logistic target on a few of them with interactions. */
export function makeData(n: number, seed: number): ChurnData {
  const rng = new Rng(seed)
  const x = new Float64Array(n * N_FEATURES)
  const y = new Float64Array(n)
  const rows: number[][] = []
  for (let i = 0; i < n; i++) {
    const row: number[] = []
    for (let j = 0; j < N_FEATURES; j++) {
      const v = j % 4 === 0 ? Math.floor(rng.next() * 60) : rng.next() * 2 - 1
      row.push(Number(v.toFixed(4)))
      x[i * N_FEATURES + j] = row[j]!
    }
    const logit =
      -0.5 + 0.04 * (30 - row[0]!) + 1.2 * row[1]! - 0.8 * row[2]! * row[3]! + 0.6 * Math.sin(3 * row[5]!)
    y[i] = rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0
    rows.push(row)
  }
  return { x, y, rows }
}

/** Writes `data` as a CSV with columns f0..f19 and the label `churn` (what the anchor reads). */
export function writeChurnCsv(path: string, data: ChurnData): void {
  const lines = data.rows.map((r, i) => `${r.join(',')},${data.y[i]}`)
  writeFileSync(path, [`${NAMES.join(',')},churn`, ...lines].join('\n'))
}

/**
 * The request bodies: one row (`single`) and a batch of 100 (`batch`), drawn with a seed of their
 * own (99), not taken from the training rows.
 */
export function requestBodies(): { single: string; batch: string } {
  const probe = makeData(100, 99).rows.map((r) => Object.fromEntries(NAMES.map((n, j) => [n, r[j]])))
  return { single: JSON.stringify({ features: probe[0] }), batch: JSON.stringify({ rows: probe }) }
}
