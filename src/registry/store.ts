import type {
  AliasChange,
  AliasChangeOptions,
  AliasState,
  LoadedArtifact,
  ModelDetail,
  ModelRef,
  ModelSummary,
  ModelVersion,
  RegisterVersionInput,
  RegistryEvent,
  ResolvedModel,
} from './types.js'

/**
 * The model registry: named models with numbered versions whose artifacts live in the database
 * (so replicas sharing PostgreSQL need no shared disk), aliases with an audit history, and
 * reference resolution. One implementation (`SqlModelRegistry`) serves SQLite and PostgreSQL.
 *
 * References are text (`churn`, `churn@3`, `churn@production`) or a parsed `ModelRef`. Unknown
 * models, versions and aliases throw errors with code `NOT_FOUND`.
 */
export interface ModelRegistry {
  /** Stores a new version (numbered 1, 2, …) and returns it. */
  registerVersion(input: RegisterVersionInput): Promise<ModelVersion>
  /** Resolves a reference to a concrete version without reading the artifact. */
  resolve(ref: string | ModelRef): Promise<ResolvedModel>
  /** The version a reference names, without the artifact bytes. */
  getVersion(ref: string | ModelRef): Promise<ModelVersion>
  /** The artifact bytes, checked against the stored SHA-256; throws `ArtifactTamperedError`. */
  loadArtifact(ref: string | ModelRef): Promise<LoadedArtifact>

  /** Points `alias` (default `production`) at `version`, recording who, when, from and to. */
  promote(name: string, version: number, alias?: string, options?: AliasChangeOptions): Promise<AliasChange>
  /** Same as `promote`; reads better for aliases other than `production`. */
  setAlias(name: string, version: number, alias: string, options?: AliasChangeOptions): Promise<AliasChange>
  /** Removes an alias (recorded). */
  removeAlias(name: string, alias: string, options?: AliasChangeOptions): Promise<AliasChange>
  /**
   * Moves `alias` (default `production`) back to the version it pointed at before its latest
   * move; repeated rollbacks walk further back. Throws `RollbackUnavailableError` at the start.
   */
  rollback(name: string, alias?: string, options?: AliasChangeOptions): Promise<AliasChange>

  listModels(): Promise<readonly ModelSummary[]>
  getModel(name: string): Promise<ModelDetail>
  /** The model's audited changes (registrations and alias moves), oldest first. */
  history(name: string): Promise<readonly RegistryEvent[]>
  /** Current aliases, latest version and change cursor of one model: cheap enough to poll each second. */
  aliasState(name: string): Promise<AliasState>
  /** Id of the newest event in the whole registry (0 when empty): poll it to notice any change. */
  changeCursor(): Promise<number>

  /** Closes the connection if this registry opened it. */
  close(): Promise<void>
}
