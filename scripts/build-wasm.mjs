#!/usr/bin/env node
// Compiles every WebAssembly text source (src/**/*.wat) with wabt (a devDependency) and writes the
// module bytes beside it as X.wasm.ts (a base64 constant), so the package runs without wabt.
// src/runtime/wasm-kernels.test.ts recompiles every .wat and fails when a .wasm.ts is stale.
// Usage: node scripts/build-wasm.mjs            (rewrite the .wasm.ts files)
//        node scripts/build-wasm.mjs --check    (exit 1 when any is missing or stale)
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import initWabt from 'wabt'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** The proposals the kernels use beyond the MVP: 128-bit SIMD, shared memory, saturating truncation. */
export const WAT_FEATURES = { simd: true, threads: true, sat_float_to_int: true }

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path, out)
    else if (name.endsWith('.wat')) out.push(path)
  }
  return out
}

/** Every .wat under src/, sorted. */
export function watSources() {
  return walk(join(root, 'src'), []).sort()
}

/** The export name of a module's bytes: score_vector_cat.wat -> scoreVectorCatWasm. */
export function constantName(watPath) {
  return `${basename(watPath, '.wat').replace(/[_-](\w)/g, (_, c) => c.toUpperCase())}Wasm`
}

/** The .wasm.ts text for one source: a header naming the source, then the base64 constant. */
export function generatedText(watPath, bytes) {
  const source = relative(root, watPath).split('\\').join('/')
  const name = constantName(watPath)
  const base64 = Buffer.from(bytes).toString('base64')
  const oneLine = `export const ${name} = '${base64}'`
  return [
    `// Generated from ${basename(watPath)} by scripts/build-wasm.mjs, do not edit.`,
    `// Source: ${source} (${bytes.length} bytes of WebAssembly).`,
    '',
    `/** The module compiled from ${basename(watPath)}, base64. @internal */`,
    // Laid out as biome formats it (lineWidth 110), so `biome check --write` leaves it unchanged.
    ...(oneLine.length <= 110 ? [oneLine] : [`export const ${name} =`, `  '${base64}'`]),
    '',
  ].join('\n')
}

/**
 * Compiles one .wat to module bytes (minimal LEB128s, no name section). Validation is V8's
 * (wabt.js's validate() ignores the threads feature and rejects shared memories).
 */
export function compileWat(wabt, watPath) {
  const module = wabt.parseWat(basename(watPath), readFileSync(watPath, 'utf8'), WAT_FEATURES)
  try {
    const bytes = module.toBinary({ canonicalize_lebs: true, write_debug_names: false }).buffer
    if (!WebAssembly.validate(bytes))
      throw new Error(`${relative(root, watPath)}: the module does not validate`)
    return bytes
  } finally {
    module.destroy()
  }
}

async function main() {
  const check = process.argv.includes('--check')
  const wabt = await initWabt()
  let stale = 0
  for (const wat of watSources()) {
    const target = wat.replace(/\.wat$/, '.wasm.ts')
    const text = generatedText(wat, compileWat(wabt, wat))
    let current = ''
    try {
      current = readFileSync(target, 'utf8')
    } catch {}
    if (current === text) continue
    if (check) {
      stale++
      console.error(`stale: ${relative(root, target)} (run node scripts/build-wasm.mjs)`)
    } else {
      writeFileSync(target, text)
      console.log(`wrote ${relative(root, target)}`)
    }
  }
  if (stale > 0) process.exit(1)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
