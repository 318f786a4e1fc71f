import type { JsonValue } from '../track/index.js'
import type { ConstraintCheck } from './constraint-check.js'
import type { ModelCard } from './model-card.js'

export type { ConstraintCheck }

/**
 * A parsed model reference: `name` (the `production` alias if set, else the latest version),
 * `name@3` (a version) or `name@staging` (an alias; `name@latest` is the newest version).
 */
export type ModelRef =
  | { readonly kind: 'default'; readonly name: string }
  | { readonly kind: 'version'; readonly name: string; readonly version: number }
  | { readonly kind: 'alias'; readonly name: string; readonly alias: string }

/** What `registerVersion` stores. */
export interface RegisterVersionInput {
  /** Model name: letters, digits, `.`, `_`, `-`; starts with a letter or digit. */
  readonly name: string
  /** The tracking run that produced it. */
  readonly runId?: string | null
  /** The model bundle: JSON text or its UTF-8 bytes. Stored in the database with its SHA-256. */
  readonly artifact: Uint8Array | string
  /** The input features the model expects (as the data capability describes them). */
  readonly featureSchema?: JsonValue
  readonly metrics?: Readonly<Record<string, number>>
  readonly constraints?: readonly ConstraintCheck[]
  readonly modelCard?: ModelCard
  /** Reference of the model that answers when this one fails, e.g. `churn-linear@production`. */
  readonly fallback?: string | null
  readonly description?: string
  /** Who registers it; defaults to `$USER`. */
  readonly actor?: string
}

/** A registered version (without its artifact bytes; see `loadArtifact`). */
export interface ModelVersion {
  readonly name: string
  readonly version: number
  readonly runId: string | null
  readonly createdAt: string
  readonly createdBy: string
  readonly artifactSha256: string
  readonly artifactSizeBytes: number
  readonly featureSchema: JsonValue | null
  readonly metrics: Readonly<Record<string, number>>
  readonly constraints: readonly ConstraintCheck[]
  readonly modelCard: ModelCard | null
  readonly fallback: string | null
  readonly description: string | null
  /** Aliases that point at this version now. */
  readonly aliases: readonly string[]
}

/** A model as listed. */
export interface ModelSummary {
  readonly name: string
  readonly createdAt: string
  readonly updatedAt: string
  readonly latestVersion: number
  readonly versionCount: number
  /** Alias → version. */
  readonly aliases: Readonly<Record<string, number>>
}

/** A model with all its versions (oldest first). */
export interface ModelDetail extends ModelSummary {
  readonly versions: readonly ModelVersion[]
}

/** Kinds of audited registry changes. */
export type RegistryEventKind = 'register' | 'promote' | 'rollback' | 'remove-alias'

/** One audited change: who did what, when, from which version to which. */
export interface RegistryEvent {
  /** Increases with every change across the registry: usable as a change cursor. */
  readonly id: number
  readonly name: string
  readonly kind: RegistryEventKind
  /** The alias moved (null for `register`). */
  readonly alias: string | null
  readonly fromVersion: number | null
  readonly toVersion: number | null
  readonly actor: string
  readonly at: string
  readonly reason: string | null
}

/** Options of alias changes. */
export interface AliasChangeOptions {
  /** Who makes the change; defaults to `$USER`. */
  readonly actor?: string
  readonly reason?: string
  /** Promote to `production` even though a hard constraint failed (recorded in the reason). */
  readonly force?: boolean
}

/** The result of moving an alias. */
export interface AliasChange {
  readonly name: string
  readonly alias: string
  readonly fromVersion: number | null
  readonly toVersion: number | null
  /** False when the alias already pointed there (nothing was recorded). */
  readonly isChanged: boolean
  readonly event: RegistryEvent | null
}

/** What a server polls: current aliases, latest version, and a cursor that moves on any change. */
export interface AliasState {
  readonly name: string
  readonly aliases: Readonly<Record<string, number>>
  readonly latestVersion: number
  /** Id of the model's newest registry event (0 when none). */
  readonly cursor: number
}

/** A reference resolved to a concrete version. */
export interface ResolvedModel {
  readonly name: string
  readonly version: number
  /** The alias that led here (`production` for a bare name when set), or null. */
  readonly alias: string | null
  /** Canonical `name@version`. */
  readonly ref: string
}

/** A version's verified artifact bytes. */
export interface LoadedArtifact {
  readonly model: ModelVersion
  readonly bytes: Uint8Array
}
