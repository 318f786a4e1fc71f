/**
 * One way to define an estimator: its params as a zod schema (validation and, through `z.infer`,
 * the TypeScript type), its defaults, and tags that tell training how to feed it. Every estimator
 * class extends {@link DefinedEstimator} with a static `definition` and a `fit`; the base owns the
 * constructor, `getParams` and `withParams`, so unknown keys, bad values and explicit `undefined`
 * behave the same everywhere.
 */
import { z } from 'zod'
import type { Artifact, Matrix } from '../core/index.js'
import { ArtifactError, didYouMean, InvalidArgumentError } from '../core/index.js'
import type { Estimator, FitOptions, FittedModel } from './estimator.js'

/** What training and tooling need to know about an estimator, declared beside its params. */
export interface EstimatorTags {
  /** Classifiers take class codes 0..k-1 and their fitted models offer `predictProba`. */
  readonly task: 'classification' | 'regression'
  /**
   * Reads categorical columns as codes through `FitOptions.categoricalFeatures` (trees split on
   * them directly); the others need them one-hot encoded.
   */
  readonly categorical: boolean
  /**
   * How NaN inputs are treated: `native` learns where missing values go (trees), `imputed`
   * replaces them with the training mean, `ignored` never looks at the features (baselines).
   */
  readonly missing: 'native' | 'imputed' | 'ignored'
  /** A tree or tree ensemble: the fitted model exposes its trees (`HasTrees`, exact TreeSHAP). */
  readonly tree: boolean
  /** A person can read the fitted model (coefficients, trees, constants). */
  readonly interpretable: boolean
}

/** An estimator's params schema, defaults, name and tags. Made by {@link defineEstimator}. */
export interface EstimatorDefinition<P extends object, K extends string = string> {
  /** The class name, used in error messages. */
  readonly name: string
  /** The artifact kind its fitted models write. */
  readonly kind: K
  readonly schema: z.ZodType<P>
  readonly defaults: Readonly<P>
  readonly tags: EstimatorTags
  /**
   * Rules between params that a per-key schema cannot state; throws via {@link paramError}.
   * (Method syntax: a definition is usable wherever one of wider params is expected.)
   */
  refine?(params: P): void
}

/**
 * Declares an estimator. `defaults` must satisfy the schema (checked here, so a bad default fails
 * at import rather than at the first fit).
 */
export function defineEstimator<S extends z.ZodObject, K extends string>(definition: {
  readonly name: string
  readonly kind: K
  readonly schema: S
  readonly defaults: z.output<S>
  readonly tags: EstimatorTags
  readonly refine?: (params: z.output<S>) => void
}): EstimatorDefinition<z.output<S>, K> {
  // A ZodObject's output type is the shape's; TypeScript cannot see that S is a ZodType of it.
  const def = definition as unknown as EstimatorDefinition<z.output<S>, K>
  resolveParams(def, {})
  return def
}

/** Keel's error for a param value its estimator refuses: names the estimator, the key and the rule. */
export function paramError(name: string, key: string, want: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`${name} param '${key}' must be ${want}; got ${show(value)}.`, {
    param: key,
    value,
  })
}

function show(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  return value === undefined ? 'undefined' : JSON.stringify(value)
}

function copyValue(v: unknown): unknown {
  return Array.isArray(v) ? [...v] : v
}

/**
 * Merges `patch` over the defaults and validates the result. Unknown keys are rejected (a typo
 * such as `learningrate` would otherwise be ignored silently); an explicit `undefined` means the
 * default. The result has the defaults' key order, so artifacts serialise identically whatever
 * order the caller wrote, and is frozen.
 */
export function resolveParams<P extends object>(def: EstimatorDefinition<P>, patch: unknown): Readonly<P> {
  if (patch === undefined || patch === null) patch = {}
  if (typeof patch !== 'object' || Array.isArray(patch)) {
    throw new InvalidArgumentError(`${def.name} params must be an object; got ${show(patch)}.`)
  }
  const defaults = def.defaults as Record<string, unknown>
  const known = Object.keys(defaults)
  const given = patch as Record<string, unknown>
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(
        `Unknown ${def.name} param '${key}'${didYouMean(key, known)}. Known params: ${known.join(', ')}.`,
        { param: key },
      )
    }
  }
  const out: Record<string, unknown> = {}
  for (const key of known) out[key] = copyValue(given[key] === undefined ? defaults[key] : given[key])
  const checked = def.schema.safeParse(out)
  if (!checked.success) {
    const issue = checked.error.issues[0]!
    const [head, ...rest] = issue.path.map(String)
    const key = head === undefined ? '(params)' : `${head}${rest.map((r) => `[${r}]`).join('')}`
    let value: unknown = out
    for (const part of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[part]
    throw paramError(def.name, key, issue.message, value)
  }
  def.refine?.(out as P)
  for (const v of Object.values(out)) if (Array.isArray(v)) Object.freeze(v)
  return Object.freeze(out) as Readonly<P>
}

/**
 * Params stored in an artifact: keys this version does not know are dropped (they only described
 * training), keys an older artifact lacks take today's defaults, and bad values are an
 * ARTIFACT_INVALID error naming the kind and the key.
 */
export function resolveArtifactParams<P extends object>(
  def: EstimatorDefinition<P>,
  artifact: Artifact<unknown, unknown>,
): Readonly<P> {
  const raw = artifact.params
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ArtifactError(
      'ARTIFACT_INVALID',
      `Artifact of kind '${artifact.kind}': params is not an object.`,
    )
  }
  const known: Record<string, unknown> = {}
  for (const key of Object.keys(def.defaults))
    if (key in raw) known[key] = (raw as Record<string, unknown>)[key]
  try {
    return resolveParams(def, known)
  } catch (e) {
    if (!(e instanceof InvalidArgumentError)) throw e
    throw new ArtifactError('ARTIFACT_INVALID', `Artifact of kind '${artifact.kind}': ${e.message}`)
  }
}

/** A copy of resolved params the caller may change (arrays included). */
export function copyParams<P extends object>(params: Readonly<P>): P {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(params)) out[k] = copyValue(v)
  return out as P
}

/**
 * Base of every estimator: holds the resolved params and implements the constructor checks,
 * `getParams` and `withParams` once. Subclasses set `static readonly definition` and implement `fit`.
 */
export abstract class DefinedEstimator<P extends object, F extends FittedModel, K extends string = string>
  implements Estimator<P, F>
{
  readonly kind: K
  /** The schema, defaults and tags this estimator was declared with. */
  readonly definition: EstimatorDefinition<P, K>
  protected readonly params: Readonly<P>

  /**
   * Resolves `params` over the defaults of the subclass's static `definition` (so subclasses
   * declare their definition and `fit`, nothing else).
   */
  constructor(params: Partial<P> = {}) {
    const definition = (new.target as unknown as { readonly definition?: EstimatorDefinition<P, K> })
      .definition
    if (definition === undefined) {
      throw new TypeError(`${new.target.name} extends DefinedEstimator without a static 'definition'.`)
    }
    this.definition = definition
    this.kind = definition.kind
    this.params = resolveParams(definition, params)
  }

  /** A copy of the params (defaults filled in). */
  getParams(): P {
    return copyParams(this.params)
  }

  /** A new estimator of the same class with `patch` applied over these params. */
  withParams(patch: Partial<P>): this {
    const Ctor = this.constructor as new (params: Partial<P>) => this
    if (typeof patch !== 'object' || patch === null) return new Ctor(patch)
    return new Ctor({ ...this.params, ...patch })
  }

  abstract fit(x: Matrix, y: Float64Array, options?: FitOptions): Promise<F>
}

// ---- schema builders: zod schemas whose every issue reads "<want>", used as "must be <want>" ----

interface Range {
  /** Inclusive bounds. */
  readonly min?: number
  readonly max?: number
  /** Exclusive bounds. */
  readonly gt?: number
  readonly lt?: number
}

function rangeText(kind: string, r: Range): string {
  const lo = r.gt ?? r.min
  const hi = r.lt ?? r.max
  if (lo !== undefined && hi !== undefined) {
    if (r.gt === undefined && r.lt === undefined && kind === 'an integer') return `${kind} in ${lo}..${hi}`
    return `${kind} in ${r.gt === undefined ? '[' : '('}${lo}, ${hi}${r.lt === undefined ? ']' : ')'}`
  }
  if (lo !== undefined) return `${kind} ${r.gt === undefined ? '>=' : '>'} ${lo}`
  if (hi !== undefined) return `${kind} ${r.lt === undefined ? '<=' : '<'} ${hi}`
  return kind
}

function numberSchema(integer: boolean, r: Range, want: string): z.ZodNumber {
  let s = z.number({ error: want })
  if (integer) s = s.int({ error: want })
  if (r.min !== undefined) s = s.min(r.min, { error: want })
  if (r.max !== undefined) s = s.max(r.max, { error: want })
  if (r.gt !== undefined) s = s.gt(r.gt, { error: want })
  if (r.lt !== undefined) s = s.lt(r.lt, { error: want })
  return s
}

/** A finite number within `range`. */
export function num(range: Range = {}): z.ZodNumber {
  return numberSchema(false, range, rangeText('a number', range))
}

/** An integer within `range`. */
export function int(range: Range = {}): z.ZodNumber {
  return numberSchema(true, range, rangeText('an integer', range))
}

/** `null` or an integer within `range`. */
export function intOrNull(range: Range = {}): z.ZodNullable<z.ZodNumber> {
  return numberSchema(true, range, `null or ${rangeText('an integer', range)}`).nullable()
}

type Literal = string | number | boolean | null

function literalText(v: Literal): string {
  return typeof v === 'string' ? `'${v}'` : String(v)
}

/** One of the listed values (strings, booleans or null). */
export function oneOf<const T extends readonly [Literal, ...Literal[]]>(
  ...values: T
): z.ZodLiteral<T[number]> {
  const texts = values.map(literalText)
  const want =
    texts.length === 1 ? texts[0]! : `${texts.slice(0, -1).join(', ')} or ${texts[texts.length - 1]}`
  return z.literal(values as unknown as T[number][], { error: want }) as z.ZodLiteral<T[number]>
}

/** `true` or `false`. */
export function flag(): z.ZodBoolean {
  return z.boolean({ error: 'true or false' })
}
