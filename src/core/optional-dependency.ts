import { MissingDependencyError } from './errors.js'

/**
 * The SDKs Keel declares as optional peer dependencies, with the version range package.json's
 * `peerDependencies` gives (test/optional-deps.test.ts keeps the two in sync). Each is loaded on
 * first use, so `import 'keel-ml'` (or a subpath such as `keel-ml/models`) never pays for LanceDB's
 * native addon or an HTTP SDK the program does not call.
 */
export const OPTIONAL_DEPENDENCIES = {
  '@anthropic-ai/sdk': '^1.14.0',
  '@lancedb/lancedb': '^0.31.0',
  'apache-arrow': '>=15.0.0 <=18.1.0',
  ioredis: '^6.0.0',
  'onnxruntime-node': '1.30.0',
  openai: '^6.49.0',
  pg: '^8.23.1',
  'pg-boss': '10.4.2',
} as const satisfies Readonly<Record<string, string>>

/** The npm name of an optional peer dependency. */
export type OptionalDependency = keyof typeof OPTIONAL_DEPENDENCIES

/**
 * True when `error` says that `packageName` itself cannot be found: Node's ESM resolver
 * (`ERR_MODULE_NOT_FOUND`, "Cannot find package 'openai' imported from …") or CommonJS `require`
 * (`MODULE_NOT_FOUND`, "Cannot find module 'apache-arrow'"). A missing file *inside* an installed
 * package is a broken install, not an absent one, and is rethrown as is.
 */
export function isMissingPackage(error: unknown, packageName: string): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as Error & { code?: unknown }).code
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false
  return (
    error.message.includes(`Cannot find package '${packageName}'`) ||
    error.message.includes(`Cannot find module '${packageName}'`)
  )
}

/**
 * Loads an optional peer dependency. `load` is the caller's own `() => import('pkg')` (a literal
 * specifier, so TypeScript types the module and bundlers see it); Node caches the module, so
 * calling this on every use costs one resolved promise.
 *
 * @param packageName the npm package `load` imports
 * @param feature what needs it, as the start of a sentence ("The OpenAI-compatible LLM provider")
 * @throws MissingDependencyError (`DEPENDENCY_MISSING`) naming the package and the install command
 *   when it is not installed; any other load failure is rethrown unchanged.
 */
export async function importOptional<T>(
  packageName: OptionalDependency,
  feature: string,
  load: () => Promise<T> | T,
): Promise<T> {
  try {
    return await load()
  } catch (error) {
    if (isMissingPackage(error, packageName))
      throw new MissingDependencyError(packageName, OPTIONAL_DEPENDENCIES[packageName], feature, error)
    throw error
  }
}

/**
 * Memoises an async factory (an SDK client built after `importOptional`): the first call starts
 * it, later calls share its promise. A rejection is not kept, so installing a missing package
 * fixes a long-running process without a restart.
 */
export function lazyAsync<T>(create: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined
  return () => {
    if (pending === undefined) {
      const started = create()
      pending = started
      started.catch(() => {
        if (pending === started) pending = undefined
      })
    }
    return pending
  }
}
