/**
 * Stored model size: Keel's binary artifact (format 2: compact dtypes, raw bytes) and its JSON
 * text form, against scikit-learn's pickle (random forest) and XGBoost's UBJSON (boosting) for the
 * same data and model shapes (bench/artifact_size_anchor.py). Numeric columns only.
 *
 *   node --import tsx bench/artifact-size.ts [--data /tmp/keel-deep-regression-54000.csv] [--target y]
 *     [--rows 20000] [--rf-trees 20] [--gbdt-trees 100]
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { artifactToBytes, encodeArray, matrix } from '../src/core/index.js'
import { RandomForestRegressor } from '../src/models/forest/index.js'
import { GradientBoostingRegressor } from '../src/models/gbdt/index.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}

const source = arg('data', '/tmp/keel-deep-regression-54000.csv')
const target = arg('target', 'y')
const rows = Number(arg('rows', '20000'))
const rfTrees = Number(arg('rf-trees', '20'))
const gbTrees = Number(arg('gbdt-trees', '100'))

const lines = readFileSync(source, 'utf8')
  .trim()
  .split('\n')
  .slice(0, rows + 1)
const header = lines[0]!.split(',')
const first = lines[1]!.split(',')
const numeric = header.map((h, i) => h !== target && first[i] !== '' && Number.isFinite(Number(first[i])))
const cols = numeric.filter(Boolean).length
const data = new Float64Array((lines.length - 1) * cols)
const y = new Float64Array(lines.length - 1)
const t = header.indexOf(target)
lines.slice(1).forEach((line, r) => {
  const cells = line.split(',')
  let c = 0
  cells.forEach((v, i) => {
    if (numeric[i]) data[r * cols + c++] = v === '' ? Number.NaN : Number(v)
  })
  y[r] = Number(cells[t])
})
const csv = join(tmpdir(), 'keel-artifact-size.csv')
writeFileSync(csv, lines.join('\n'))
const x = matrix(y.length, cols, data)

/** Size of the format-1 text form: the same state with fixed i32/f64/u8 arrays as base64 in JSON. */
function v1JsonBytes(state: Record<string, unknown>): number {
  const widened = Object.fromEntries(
    Object.entries(state).map(([k, v]) => {
      const e = v as { dtype?: string; length?: number }
      if (typeof e !== 'object' || e === null || e.dtype === undefined) return [k, v]
      const wide =
        e.dtype === 'u8' && /default|categorical/i.test(k)
          ? 'u8'
          : /feature|left|right|Offset|Counts|Output|catIndex/.test(k)
            ? 'i32'
            : 'f64'
      const n = e.length ?? 0
      return [
        k,
        encodeArray(
          wide === 'u8' ? new Uint8Array(n) : wide === 'i32' ? new Int32Array(n) : new Float64Array(n),
        ),
      ]
    }),
  )
  return JSON.stringify({ state: widened }).length
}

const rf = await new RandomForestRegressor({ nEstimators: rfTrees, seed: 1 }).fit(x, y)
const gb = await new GradientBoostingRegressor({ nEstimators: gbTrees, maxDepth: 6, seed: 1 }).fit(x, y)
const anchor = JSON.parse(
  execFileSync(
    '/usr/bin/python3',
    [
      new URL('./artifact_size_anchor.py', import.meta.url).pathname,
      csv,
      target,
      String(rfTrees),
      String(gbTrees),
    ],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    },
  ).trim(),
) as { rf_pickle: number; rf_nodes: number; gbdt_ubj: number; gbdt_pickle: number }
const row = (
  name: string,
  a: { toArtifact(): { state: unknown } },
  other: string,
  otherBytes: number,
): string => {
  const artifact = a.toArtifact()
  const bin = artifactToBytes(artifact).byteLength
  const text = JSON.stringify(artifact).length
  const v1 = v1JsonBytes(artifact.state as Record<string, unknown>)
  return `| ${name} | ${v1.toLocaleString('en-US')} | ${text.toLocaleString('en-US')} | ${bin.toLocaleString('en-US')} | ${other} ${otherBytes.toLocaleString('en-US')} | ${(bin / otherBytes).toFixed(2)} |`
}
console.log(`${y.length} rows × ${cols} numeric columns of ${source}`)
console.log(
  '| model | Keel format 1 JSON (before) | Keel format 2 JSON | Keel format 2 binary (stored) | anchor | binary / anchor |',
)
console.log('|---|---|---|---|---|---|')
console.log(row(`rf ${rfTrees} trees, full depth`, rf, 'sklearn pickle', anchor.rf_pickle))
console.log(row(`gbdt ${gbTrees} trees, depth 6`, gb, 'xgboost UBJSON', anchor.gbdt_ubj))
console.log(
  `(sklearn forest: ${anchor.rf_nodes.toLocaleString('en-US')} nodes; xgboost pickle ${anchor.gbdt_pickle.toLocaleString('en-US')} bytes)`,
)
