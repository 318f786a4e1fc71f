/**
 * Loading support for Keel's WebAssembly kernels. Each kernel is written as WebAssembly text
 * (`*.wat` beside its loader) and compiled by scripts/build-wasm.mjs into a generated `*.wasm.ts`
 * holding the module bytes in base64, so the package needs no WebAssembly toolchain at run time.
 * Every kernel has a JavaScript fallback that computes the same results, so a runtime without
 * WebAssembly (or with KEEL_NO_WASM=1) loses speed, never answers.
 */

/**
 * True when kernels must not be used: KEEL_NO_WASM=1 (read at each call, so one process can
 * compare both paths) or a runtime without WebAssembly.
 */
export function wasmDisabled(): boolean {
  return process.env.KEEL_NO_WASM === '1' || typeof WebAssembly === 'undefined'
}

/** The module bytes of a generated `*.wasm.ts` constant (a fresh copy, in its own buffer). */
export function wasmBytes(base64: string): Uint8Array<ArrayBuffer> {
  const decoded = Buffer.from(base64, 'base64')
  const bytes = new Uint8Array(decoded.length)
  bytes.set(decoded)
  return bytes
}

/**
 * The compiled module, or null when this runtime rejects it (no WebAssembly, or a proposal the
 * kernel needs, such as SIMD or shared memory, is missing): callers then take their JavaScript path.
 */
export function compileWasm(base64: string): WebAssembly.Module | null {
  if (typeof WebAssembly === 'undefined') return null
  try {
    const bytes = wasmBytes(base64)
    return WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null
  } catch {
    // Recoverable by design: every kernel has a JavaScript path giving the same results.
    return null
  }
}
