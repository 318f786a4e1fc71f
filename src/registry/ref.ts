import { InvalidArgumentError } from '../core/index.js'
import type { ModelRef } from './types.js'

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const ALIAS_NAME = /^[a-z][a-z0-9_-]{0,62}$/

/** The pseudo-alias that always means the newest version; it cannot be set. */
export const LATEST_ALIAS = 'latest'

/** Throws `InvalidArgumentError` unless `name` is a valid model name. */
export function checkModelName(name: string): void {
  if (!MODEL_NAME.test(name)) {
    throw new InvalidArgumentError(
      `Invalid model name '${name}': use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit.`,
      { name },
    )
  }
}

/** Throws `InvalidArgumentError` unless `alias` is a valid alias name (lowercase, not all digits). */
export function checkAliasName(alias: string): void {
  if (!ALIAS_NAME.test(alias)) {
    throw new InvalidArgumentError(
      `Invalid alias '${alias}': use lowercase letters, digits, '_' or '-', starting with a letter (digits alone name a version).`,
      { alias },
    )
  }
}

/**
 * Parses `name`, `name@VERSION` or `name@ALIAS` (e.g. `churn`, `churn@3`, `churn@production`).
 * This is the one parser for model references across the CLI, the registry and serving.
 */
export function parseModelRef(text: string): ModelRef {
  const trimmed = text.trim()
  const at = trimmed.indexOf('@')
  const name = at < 0 ? trimmed : trimmed.slice(0, at)
  checkModelName(name)
  if (at < 0) return { kind: 'default', name }
  const selector = trimmed.slice(at + 1)
  if (/^\d+$/.test(selector)) {
    const version = Number(selector)
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new InvalidArgumentError(`Invalid model reference '${text}': versions start at 1.`, { ref: text })
    }
    return { kind: 'version', name, version }
  }
  if (selector === '' || !ALIAS_NAME.test(selector)) {
    throw new InvalidArgumentError(
      `Invalid model reference '${text}': write NAME, NAME@VERSION (e.g. churn@3) or NAME@ALIAS (e.g. churn@production).`,
      { ref: text },
    )
  }
  return { kind: 'alias', name, alias: selector }
}

/** The text form of a reference (inverse of `parseModelRef`). */
export function formatModelRef(ref: ModelRef): string {
  switch (ref.kind) {
    case 'default':
      return ref.name
    case 'version':
      return `${ref.name}@${ref.version}`
    case 'alias':
      return `${ref.name}@${ref.alias}`
  }
}
