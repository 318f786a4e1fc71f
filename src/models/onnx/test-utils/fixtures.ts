/** Reads the ONNX fixtures of test/fixtures/interop/onnx/ (written by scripts/fixtures/onnx_fixtures.py). */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Matrix } from '../../../core/index.js'
import type { TaskKind } from '../../estimator.js'

export const ONNX_FIXTURES = resolve(import.meta.dirname, '../../../../test/fixtures/interop/onnx')

/** What meta.json says about a fixture model. */
export interface FixtureMeta {
  readonly task: TaskKind
  readonly logits: boolean
  readonly nClasses?: number
  readonly inputName: string
  readonly output: string
  readonly featureNames: readonly string[]
}

/** One fixture: the .onnx bytes, its meta, the test inputs and the producer's expected outputs by column. */
export interface OnnxFixture {
  readonly bytes: Uint8Array
  readonly meta: FixtureMeta
  readonly x: Matrix
  readonly expected: Readonly<Record<string, Float64Array>>
}

function readCsv(path: string): { header: string[]; rows: number[][] } {
  const lines = readFileSync(path, 'utf8').trim().split('\n')
  return { header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',').map(Number)) }
}

export function loadFixture(name: string): OnnxFixture {
  const dir = join(ONNX_FIXTURES, name)
  const test = readCsv(join(dir, 'test.csv'))
  const expected = readCsv(join(dir, 'expected.csv'))
  const byColumn: Record<string, Float64Array> = {}
  expected.header.forEach((h, c) => {
    byColumn[h] = Float64Array.from(expected.rows, (r) => r[c]!)
  })
  return {
    bytes: new Uint8Array(readFileSync(join(dir, 'model.onnx'))),
    meta: JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as FixtureMeta,
    x: { rows: test.rows.length, cols: test.header.length, data: Float64Array.from(test.rows.flat()) },
    expected: byColumn,
  }
}

/** The .onnx bytes of an error case under errors/. */
export function errorModel(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(ONNX_FIXTURES, 'errors', name)))
}

/** Largest absolute difference between two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!))
  return max
}

/** Column c of a row-major matrix. */
export function columnOf(m: Matrix, c: number): Float64Array {
  return Float64Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols + c]!)
}
