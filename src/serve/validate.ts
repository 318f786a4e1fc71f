import type { FieldProblem } from './errors.js'
import type { FeatureRow, FeatureSpec, FeatureValue } from './servable.js'

/** What to do with input fields the model does not know. */
export type ExtraFieldPolicy = 'ignore' | 'reject'

/** Checks one raw row against the model's features; returns the clean row or the problems found. */
export type RowValidator = (
  raw: Readonly<Record<string, unknown>>,
  rowIndex: number | undefined,
  problems: FieldProblem[],
) => FeatureRow | undefined

const NON_FINITE_WORDS = new Set(['nan', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity'])

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return `string '${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}

/**
 * Compiles a validator for a model's feature list once per model version, so the hot path is a loop
 * over specs. `ignoredFields` (such as an experiment's request-key field) never count as extras.
 */
export function compileRowValidator(
  features: readonly FeatureSpec[],
  extraFields: ExtraFieldPolicy,
  ignoredFields: readonly string[] = [],
): RowValidator {
  const known = new Set(features.map((f) => f.name))
  for (const name of ignoredFields) known.add(name)
  const levelSets = features.map((f) => (f.levels === undefined ? undefined : new Set(f.levels)))
  const nFeatures = features.length

  return (raw, rowIndex, problems) => {
    const before = problems.length
    const out: Record<string, FeatureValue> = {}
    const push = (field: string, code: FieldProblem['code'], reason: string): void => {
      problems.push(rowIndex === undefined ? { field, code, reason } : { row: rowIndex, field, code, reason })
    }
    for (let i = 0; i < nFeatures; i++) {
      const spec = features[i]!
      const value = raw[spec.name]
      if (value === undefined || value === null) {
        if (spec.required !== false) push(spec.name, 'MISSING', 'is required but missing or null')
        out[spec.name] = null
        continue
      }
      switch (spec.kind) {
        case 'numeric': {
          if (typeof value === 'number') {
            // JSON.parse turns 1e400 into Infinity, so finiteness is checked even for numbers.
            if (!Number.isFinite(value))
              push(spec.name, 'NOT_FINITE', `must be a finite number, got ${value}`)
            else if (spec.min !== undefined && value < spec.min)
              push(spec.name, 'OUT_OF_RANGE', `must be >= ${spec.min}, got ${value}`)
            else if (spec.max !== undefined && value > spec.max)
              push(spec.name, 'OUT_OF_RANGE', `must be <= ${spec.max}, got ${value}`)
            else out[spec.name] = value
          } else if (typeof value === 'string' && NON_FINITE_WORDS.has(value.trim().toLowerCase())) {
            push(spec.name, 'NOT_FINITE', `must be a finite number, got ${describe(value)}`)
          } else {
            push(spec.name, 'WRONG_TYPE', `must be a number, got ${describe(value)}`)
          }
          break
        }
        case 'categorical': {
          let level: string | undefined
          if (typeof value === 'string') level = value
          else if (typeof value === 'number' && Number.isFinite(value)) level = String(value)
          if (level === undefined) {
            push(spec.name, 'WRONG_TYPE', `must be a category string, got ${describe(value)}`)
            break
          }
          const levels = levelSets[i]
          if (levels !== undefined && !levels.has(level)) {
            if (spec.unknownLevel === 'reject') {
              const shown = spec.levels!.slice(0, 10).join(', ')
              push(
                spec.name,
                'UNKNOWN_LEVEL',
                `has unknown level '${level}'; known levels: ${shown}${spec.levels!.length > 10 ? ', …' : ''}`,
              )
            } else out[spec.name] = null
          } else out[spec.name] = level
          break
        }
        case 'boolean': {
          if (typeof value === 'boolean') out[spec.name] = value
          else push(spec.name, 'WRONG_TYPE', `must be true or false, got ${describe(value)}`)
          break
        }
        case 'datetime': {
          if (typeof value === 'string') {
            if (Number.isNaN(Date.parse(value)))
              push(spec.name, 'INVALID_DATETIME', `must be an ISO 8601 date-time, got ${describe(value)}`)
            else out[spec.name] = value
          } else if (typeof value === 'number') {
            if (Number.isFinite(value)) out[spec.name] = value
            else push(spec.name, 'NOT_FINITE', `must be a finite epoch-ms number, got ${value}`)
          } else {
            push(spec.name, 'WRONG_TYPE', `must be an ISO 8601 string or epoch ms, got ${describe(value)}`)
          }
          break
        }
        default: {
          const never: never = spec.kind
          push(String(never), 'WRONG_TYPE', 'has an unsupported feature kind')
        }
      }
    }
    if (extraFields === 'reject') {
      for (const key in raw) {
        if (!known.has(key)) push(key, 'UNEXPECTED_FIELD', 'is not a feature of this model')
      }
    }
    return problems.length === before ? out : undefined
  }
}

/** A plausible row for warming a model up: zeros, first levels, false, now. */
export function warmupRow(features: readonly FeatureSpec[]): FeatureRow {
  const row: Record<string, FeatureValue> = {}
  for (const f of features) {
    switch (f.kind) {
      case 'numeric':
        row[f.name] = f.min !== undefined ? f.min : f.max !== undefined ? Math.min(0, f.max) : 0
        break
      case 'categorical':
        row[f.name] = f.levels?.[0] ?? null
        break
      case 'boolean':
        row[f.name] = false
        break
      case 'datetime':
        row[f.name] = new Date(0).toISOString()
        break
      default: {
        const never: never = f.kind
        row[String(never)] = null
      }
    }
  }
  return row
}
