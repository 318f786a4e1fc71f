import { AppError, NotFoundError } from '../core/index.js'
import { ConflictError } from '../track/index.js'

/** No model with this name. Code `NOT_FOUND`. */
export class ModelNotFoundError extends NotFoundError {
  constructor(name: string, known: readonly string[]) {
    const list =
      known.length === 0 ? 'none are registered yet' : `registered: ${known.slice(0, 10).join(', ')}`
    super(`No model named '${name}' (${list}). See 'keel models list'.`, { kind: 'model', name })
  }
}

/** The model exists but not this version. Code `NOT_FOUND`. */
export class VersionNotFoundError extends NotFoundError {
  constructor(name: string, version: number, latestVersion: number) {
    super(
      `Model '${name}' has no version ${version} (versions 1 to ${latestVersion}). See 'keel models show ${name}'.`,
      { kind: 'version', name, version },
    )
  }
}

/** The model exists but no version carries this alias. Code `NOT_FOUND`. */
export class AliasNotFoundError extends NotFoundError {
  constructor(name: string, alias: string, aliases: readonly string[]) {
    super(
      `Model '${name}' has no alias '${alias}' (aliases: ${aliases.length === 0 ? 'none' : aliases.join(', ')}). Set it with 'keel models promote ${name} VERSION --to ${alias}'.`,
      { kind: 'alias', name, alias },
    )
  }
}

/** Rollback asked for, but the alias has no earlier version to return to. Code `CONFLICT`. */
export class RollbackUnavailableError extends ConflictError {
  constructor(name: string, alias: string, current: number | null) {
    super(
      current === null
        ? `Model '${name}' has no '${alias}' alias to roll back.`
        : `'${name}@${alias}' (version ${current}) has no earlier version to roll back to. Promote a version instead.`,
      { name, alias, current },
    )
  }
}

/**
 * Promotion to `production` refused because a hard constraint failed at training time. Code
 * `REGISTRY_CONSTRAINT_FAILED`; pass `force` to override (recorded in the audit history).
 */
export class ConstraintFailedError extends AppError {
  constructor(name: string, version: number, failed: readonly string[]) {
    super(
      'REGISTRY_CONSTRAINT_FAILED',
      `Refusing to promote ${name}@${version} to production: hard constraint(s) failed: ${failed.join(', ')}. Fix the model, or pass --force with a --reason.`,
      { details: { name, version, failed } },
    )
  }
}
