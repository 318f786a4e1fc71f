import { NotFoundError } from '../core/index.js'
import {
  type ModelSource,
  type ModelVersionRef,
  parseModelRef,
  type ServableModel,
} from '../pipeline/servable.js'

/** An in-memory `ModelSource` whose aliases can be moved at run time (to test hot swap). */
export interface MemoryModelSource extends ModelSource {
  /** Adds (or replaces) a model version. */
  add(model: ServableModel): void
  /** Points `name@alias` at a version, like `keel models promote`. */
  setAlias(name: string, alias: string, version: number): void
  /** Registers `fallbackRef` as the fallback of every version of `name`. */
  setFallback(name: string, fallbackRef: string | undefined): void
}

/**
 * Serves models held in memory. References: `name` (latest version), `name@3` (a version) or
 * `name@alias`.
 * @example
 * const source = createMemoryModelSource([model])
 * source.setAlias('churn', 'production', 1)
 */
export function createMemoryModelSource(models: readonly ServableModel[] = []): MemoryModelSource {
  const versions = new Map<string, Map<number, ServableModel>>()
  const aliases = new Map<string, Map<string, number>>()
  const fallbacks = new Map<string, string>()
  const source: MemoryModelSource = {
    add(model) {
      let byVersion = versions.get(model.name)
      if (byVersion === undefined) {
        byVersion = new Map()
        versions.set(model.name, byVersion)
      }
      byVersion.set(model.version, model)
    },
    setAlias(name, alias, version) {
      let byAlias = aliases.get(name)
      if (byAlias === undefined) {
        byAlias = new Map()
        aliases.set(name, byAlias)
      }
      byAlias.set(alias, version)
    },
    setFallback(name, fallbackRef) {
      if (fallbackRef === undefined) fallbacks.delete(name)
      else fallbacks.set(name, fallbackRef)
    },
    async resolve(ref): Promise<ModelVersionRef> {
      const { name, selector } = parseModelRef(ref)
      const byVersion = versions.get(name)
      if (byVersion === undefined || byVersion.size === 0) {
        const known = [...versions.keys()].filter((n) => (versions.get(n)?.size ?? 0) > 0)
        throw new NotFoundError(
          `No model '${name}' (models: ${known.length === 0 ? 'none' : known.join(', ')}).`,
        )
      }
      if (selector === undefined) return { name, version: Math.max(...byVersion.keys()) }
      if (/^\d+$/.test(selector)) {
        const version = Number(selector)
        if (!byVersion.has(version)) throw new NotFoundError(`No version ${version} of '${name}'.`)
        return { name, version }
      }
      const version = aliases.get(name)?.get(selector)
      if (version === undefined) {
        const known = [...(aliases.get(name)?.keys() ?? [])]
        throw new NotFoundError(
          `No alias '${selector}' on '${name}' (aliases: ${known.length === 0 ? 'none' : known.join(', ')}).`,
        )
      }
      return { name, version }
    },
    async load(name, version) {
      const model = versions.get(name)?.get(version)
      if (model === undefined) throw new NotFoundError(`No version ${version} of '${name}'.`)
      return model
    },
    async fallbackOf(name) {
      return fallbacks.get(name)
    },
    async aliasesOf(name) {
      return Object.fromEntries(aliases.get(name) ?? [])
    },
  }
  for (const m of models) source.add(m)
  return source
}
