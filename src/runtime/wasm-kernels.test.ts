import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { compileWasm, wasmBytes, wasmDisabled, workerModuleCode } from './index.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

function watFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) watFiles(path, out)
    else if (name.endsWith('.wat')) out.push(path)
  }
  return out
}

/** The functions each loader takes from its module (wasm-hist.ts, wasm-score.ts, wasm-gemm.ts, wasm-ops.ts). */
const EXPORTS: Readonly<Record<string, readonly string[]>> = {
  hist: [
    'hist4',
    'hist8',
    'hist1',
    'hist8h',
    'hist4h',
    'hist2h',
    'hist1h',
    'count_left',
    'score_logistic',
    'partition',
    'partition_back',
  ],
  score: ['score'],
  score_cat: ['score_cat'],
  score_vector: ['score_vector'],
  score_vector_cat: ['score_vector_cat'],
  score_multi: ['score_multi'],
  score_multi_cat: ['score_multi_cat'],
  gemm: ['gemm'],
  // src/rag/dot-arena.ts and src/rag/hnsw.ts: the RAG dense index's batched dot products.
  dots: ['dots'],
  ops: [
    'relu',
    'relu_back',
    'affine_cols',
    'bn_apply_train',
    'bn_back_apply',
    'bn_stats',
    'bn_back_stats',
    'col_sums',
    'pack_b',
    'pack_bt',
    'gelu',
    'gelu_back',
    'dropout',
    'row_dots',
    'rows_axpy',
    'adam',
    'bn_apply_train_relu',
    'bn_back_stats_relu',
    'bn_back_apply_relu',
    'pack_at',
  ],
}

describe('WebAssembly kernel sources', () => {
  const sources = watFiles(join(root, 'src'))

  it('every kernel has a .wat source', () => {
    const names = sources.map((p) => basename(p, '.wat')).sort()
    assert.deepEqual(names, Object.keys(EXPORTS).sort())
  })

  it('the committed .wasm.ts bytes are what the .wat sources compile to', () => {
    // The script recompiles every .wat with wabt and compares with the generated files, so an edit
    // to a .wat without rebuilding (or a hand edit of a .wasm.ts) fails here.
    const run = spawnSync(process.execPath, [join(root, 'scripts', 'build-wasm.mjs'), '--check'], {
      cwd: root,
      encoding: 'utf8',
    })
    assert.equal(run.status, 0, `stale generated kernels:\n${run.stderr}`)
  })

  for (const wat of sources) {
    const name = basename(wat, '.wat')
    it(`${relative(root, wat)} compiles and exports what its loader calls`, async () => {
      const generated = wat.replace(/\.wat$/, '.wasm.ts')
      assert.match(readFileSync(generated, 'utf8'), new RegExp(`^// Generated from ${name}\\.wat `))
      const mod = (await import(pathToFileURL(generated).href)) as Record<string, unknown>
      const values = Object.values(mod)
      assert.equal(values.length, 1)
      const base64 = values[0]
      assert.equal(typeof base64, 'string')
      const bytes = wasmBytes(base64 as string)
      assert.deepEqual([...bytes.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d])
      const module = compileWasm(base64 as string)
      assert.ok(module !== null, `${name} does not compile on this runtime`)
      const exported = WebAssembly.Module.exports(module)
        .filter((e) => e.kind === 'function')
        .map((e) => e.name)
      assert.deepEqual(exported, EXPORTS[name])
    })
  }
})

describe('runtime support', () => {
  it('KEEL_NO_WASM=1 disables the kernels, read at each call', () => {
    const before = process.env.KEEL_NO_WASM
    try {
      process.env.KEEL_NO_WASM = '1'
      assert.equal(wasmDisabled(), true)
      delete process.env.KEEL_NO_WASM
      assert.equal(wasmDisabled(), false)
    } finally {
      if (before === undefined) delete process.env.KEEL_NO_WASM
      else process.env.KEEL_NO_WASM = before
    }
  })

  it('compileWasm gives null for bytes the runtime rejects', () => {
    assert.equal(compileWasm(Buffer.from('not wasm').toString('base64')), null)
  })

  it('workers load the .ts beside a tsx caller and the .js beside a built one', () => {
    const ts = workerModuleCode('hist-worker', 'file:///pkg/src/models/gbdt/hist-pool.ts')
    assert.match(ts, /m\.register\(\)/)
    assert.ok(ts.includes('"file:///pkg/src/models/gbdt/hist-worker.ts"'))
    const js = workerModuleCode('hist-worker', 'file:///pkg/dist/models/gbdt/hist-pool.js')
    assert.equal(js, 'import("file:///pkg/dist/models/gbdt/hist-worker.js")')
  })
})
