import type { FieldProblem } from '../http/errors.js'
import type { FeatureRow, FeatureSpec, FeatureValue } from '../pipeline/servable.js'

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

function pushProblem(
  problems: FieldProblem[],
  rowIndex: number | undefined,
  field: string,
  code: FieldProblem['code'],
  reason: string,
): void {
  problems.push(rowIndex === undefined ? { field, code, reason } : { row: rowIndex, field, code, reason })
}

/**
 * Compiles a validator for a model's feature list once per model version, so the hot path is a loop
 * over specs. `ignoredFields` (such as an experiment's request-key field) never count as extras.
 *
 * A row that already is its clean form (exactly the model's features, every value accepted as sent:
 * no missing field filled with null, no number turned into a category string, no unknown level
 * dropped, no extra field ignored) is returned itself, not copied: building a fresh object per row
 * was most of the validation cost. Callers can tell (`clean === raw`) that the row's own JSON text
 * parses to the clean row.
 */
export function compileRowValidator(
  features: readonly FeatureSpec[],
  extraFields: ExtraFieldPolicy,
  ignoredFields: readonly string[] = [],
): RowValidator {
  const known = new Set(features.map((f) => f.name))
  // A clean row has exactly one key per distinct feature name.
  const nDistinct = known.size
  for (const name of ignoredFields) known.add(name)
  const levelSets = features.map((f) => (f.levels === undefined ? undefined : new Set(f.levels)))
  const nFeatures = features.length
  const rejectExtras = extraFields === 'reject'

  /** The clean copy of a row that passed every check but is not its own clean form. */
  const cleanCopy = (raw: Readonly<Record<string, unknown>>): FeatureRow => {
    const out: Record<string, FeatureValue> = {}
    for (let i = 0; i < nFeatures; i++) {
      const spec = features[i]!
      const value = raw[spec.name]
      if (value === undefined || value === null) {
        out[spec.name] = null
        continue
      }
      if (spec.kind === 'categorical') {
        const level = typeof value === 'string' ? value : String(value)
        const levels = levelSets[i]
        // Only 'missing' unknown levels get here: 'reject' ones were problems.
        out[spec.name] = levels !== undefined && !levels.has(level) ? null : level
      } else {
        // The check pass accepted it, so it is already a value of this kind.
        out[spec.name] = value as FeatureValue
      }
    }
    return out
  }

  return (raw, rowIndex, problems) => {
    const before = problems.length
    // True while every value is accepted exactly as sent.
    let asSent = true
    for (let i = 0; i < nFeatures; i++) {
      const spec = features[i]!
      const value = raw[spec.name]
      // The problem with this value, if any (one per field).
      let code: FieldProblem['code'] | undefined
      let reason = ''
      if (value === undefined || value === null) {
        if (spec.required !== false) {
          code = 'MISSING'
          reason = 'is required but missing or null'
        } else if (value === undefined) asSent = false
      } else {
        switch (spec.kind) {
          case 'numeric': {
            if (typeof value === 'number') {
              // JSON.parse turns 1e400 into Infinity, so finiteness is checked even for numbers.
              if (!Number.isFinite(value)) {
                code = 'NOT_FINITE'
                reason = `must be a finite number, got ${value}`
              } else if (spec.min !== undefined && value < spec.min) {
                code = 'OUT_OF_RANGE'
                reason = `must be >= ${spec.min}, got ${value}`
              } else if (spec.max !== undefined && value > spec.max) {
                code = 'OUT_OF_RANGE'
                reason = `must be <= ${spec.max}, got ${value}`
              }
            } else if (typeof value === 'string' && NON_FINITE_WORDS.has(value.trim().toLowerCase())) {
              code = 'NOT_FINITE'
              reason = `must be a finite number, got ${describe(value)}`
            } else {
              code = 'WRONG_TYPE'
              reason = `must be a number, got ${describe(value)}`
            }
            break
          }
          case 'categorical': {
            let level: string | undefined
            if (typeof value === 'string') level = value
            else if (typeof value === 'number' && Number.isFinite(value)) {
              level = String(value)
              asSent = false
            }
            const levels = levelSets[i]
            if (level === undefined) {
              code = 'WRONG_TYPE'
              reason = `must be a category string, got ${describe(value)}`
            } else if (levels !== undefined && !levels.has(level)) {
              if (spec.unknownLevel === 'reject') {
                const shown = spec.levels!.slice(0, 10).join(', ')
                code = 'UNKNOWN_LEVEL'
                reason = `has unknown level '${level}'; known levels: ${shown}${spec.levels!.length > 10 ? ', …' : ''}`
              } else asSent = false
            }
            break
          }
          case 'boolean': {
            if (typeof value !== 'boolean') {
              code = 'WRONG_TYPE'
              reason = `must be true or false, got ${describe(value)}`
            }
            break
          }
          case 'datetime': {
            if (typeof value === 'string') {
              if (Number.isNaN(Date.parse(value))) {
                code = 'INVALID_DATETIME'
                reason = `must be an ISO 8601 date-time, got ${describe(value)}`
              }
            } else if (typeof value !== 'number') {
              code = 'WRONG_TYPE'
              reason = `must be an ISO 8601 string or epoch ms, got ${describe(value)}`
            } else if (!Number.isFinite(value)) {
              code = 'NOT_FINITE'
              reason = `must be a finite epoch-ms number, got ${value}`
            }
            break
          }
          default: {
            const never: never = spec.kind
            code = 'WRONG_TYPE'
            reason = `has an unsupported feature kind ${String(never)}`
          }
        }
      }
      if (code !== undefined) pushProblem(problems, rowIndex, spec.name, code, reason)
    }
    let nKeys = 0
    for (const key in raw) {
      nKeys++
      if (rejectExtras && !known.has(key))
        pushProblem(problems, rowIndex, key, 'UNEXPECTED_FIELD', 'is not a feature of this model')
    }
    if (problems.length !== before) return undefined
    // Every feature is present (or null) and no other key is: the row is its own clean form.
    if (asSent && nKeys === nDistinct) return raw as FeatureRow
    return cleanCopy(raw)
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
