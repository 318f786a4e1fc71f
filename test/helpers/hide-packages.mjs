// Preload (`node --import ./test/helpers/hide-packages.mjs …`) that makes the npm packages named in
// $KEEL_HIDE_PACKAGES (comma-separated) look uninstalled: importing or requiring one (or a subpath of
// it) fails exactly as Node fails for a missing package. Used by test/optional-deps.test.ts to check
// the error Keel gives when an optional peer dependency is absent, without uninstalling it.
import Module, { register } from 'node:module'

const hidden = (process.env.KEEL_HIDE_PACKAGES ?? '').split(',').filter((name) => name !== '')

/** The package a bare specifier names ('@scope/pkg/sub' -> '@scope/pkg'), if it is hidden. */
function hiddenPackage(specifier) {
  const parts = specifier.split('/')
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
  return hidden.includes(name) ? name : undefined
}

const hook = `
const hidden = ${JSON.stringify(hidden)}
export async function resolve(specifier, context, next) {
  const parts = specifier.split('/')
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
  if (hidden.includes(name)) {
    const error = new Error("Cannot find package '" + name + "' imported from " + context.parentURL)
    error.code = 'ERR_MODULE_NOT_FOUND'
    throw error
  }
  return next(specifier, context)
}
`
register(`data:text/javascript,${encodeURIComponent(hook)}`, import.meta.url)

// CommonJS `require` (e.g. LanceDB's apache-arrow through createRequire) does not pass the ESM hook.
const resolveFilename = Module._resolveFilename
Module._resolveFilename = function hiddenResolveFilename(request, ...rest) {
  const name = hiddenPackage(request)
  if (name !== undefined) {
    const error = new Error(`Cannot find module '${name}'`)
    error.code = 'MODULE_NOT_FOUND'
    throw error
  }
  return resolveFilename.call(this, request, ...rest)
}
