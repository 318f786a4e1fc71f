// Preload (`node --import ./test/helpers/module-trace.mjs …`) that records what the process loads and
// writes it as JSON to $KEEL_MODULE_TRACE_OUT at exit: every resolved ES module URL (a resolve hook),
// every CommonJS module (the require cache) and every native addon (process.dlopen). Used by
// test/import-cost.test.ts and to measure `import('keel-ml/models')`.
import { writeFileSync } from 'node:fs'
import { createRequire, register } from 'node:module'
import { MessageChannel } from 'node:worker_threads'

const esm = new Set()
const natives = []
const { port1, port2 } = new MessageChannel()
port1.on('message', (url) => esm.add(url))
port1.unref()
// The hook runs on the loader thread; it reports each resolved URL back over the port.
const hook = `
let port
export function initialize(data) { port = data.port }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  port.postMessage(result.url)
  return result
}
`
register(`data:text/javascript,${encodeURIComponent(hook)}`, {
  parentURL: import.meta.url,
  data: { port: port2 },
  transferList: [port2],
})

const dlopen = process.dlopen
process.dlopen = function tracedDlopen(module, filename, ...rest) {
  natives.push(filename)
  return dlopen.call(this, module, filename, ...rest)
}

const require = createRequire(import.meta.url)
process.on('exit', () => {
  const out = process.env.KEEL_MODULE_TRACE_OUT
  if (out === undefined || out === '') return
  const files = new Set(Object.keys(require.cache))
  for (const url of esm) if (url.startsWith('file:')) files.add(decodeURIComponent(new URL(url).pathname))
  const builtins = [...esm].filter((url) => url.startsWith('node:'))
  writeFileSync(out, JSON.stringify({ files: [...files].sort(), builtins: builtins.sort(), natives }))
})
