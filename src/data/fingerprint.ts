import { createHash } from 'node:crypto'
import type { Dataset } from './dataset.js'

/**
 * A SHA-256 content hash of the rows and schema (column names, kinds, levels, values). The same
 * rows give the same fingerprint whatever file format they came from, because it hashes the
 * decoded columns, with NaN and -0 normalised.
 * @example
 * const fp = fingerprintDataset(await loadDataset('train.parquet')) // 64 hex chars
 */
export function fingerprintDataset(ds: Dataset): string {
  const hash = createHash('sha256')
  hash.update(`keel-dataset-v1\n${ds.nRows}\n${ds.columns.length}\n`)
  const chunk = new Float64Array(4096)
  for (const col of ds.columns) {
    hash.update(`${JSON.stringify(col.name)}:${col.kind}\n`)
    if (col.kind === 'categorical') {
      // Hash only the levels rows use, with codes renumbered over them, so that a subset that kept
      // unused levels hashes like the same rows loaded fresh.
      const used = new Int32Array(col.levels.length).fill(-1)
      for (const c of col.codes) if (c >= 0) used[c] = 1
      const kept: string[] = []
      for (let l = 0; l < used.length; l++) if (used[l] === 1) used[l] = kept.push(col.levels[l]!) - 1
      hash.update(`${JSON.stringify(kept)}\n`)
      const codes = new Int32Array(col.codes.length)
      for (let i = 0; i < codes.length; i++) {
        const c = col.codes[i]!
        codes[i] = c < 0 ? -1 : used[c]!
      }
      hash.update(new Uint8Array(codes.buffer))
      continue
    }
    const values = col.values
    for (let start = 0; start < values.length; start += chunk.length) {
      const n = Math.min(chunk.length, values.length - start)
      for (let i = 0; i < n; i++) {
        const v = values[start + i]!
        chunk[i] = Number.isNaN(v) ? Number.NaN : v === 0 ? 0 : v
      }
      hash.update(new Uint8Array(chunk.buffer, 0, n * 8))
    }
  }
  return hash.digest('hex')
}
