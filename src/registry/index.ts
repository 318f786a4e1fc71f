/**
 * Model registry: named models with numbered versions (artifact bytes + SHA-256 stored in the
 * database, feature schema, metrics, constraints, model card, fallback), aliases such as
 * `production` and `staging` moved with a full audit history, rollback, and one reference syntax
 * (`churn`, `churn@3`, `churn@production`) used everywhere a model is named.
 *
 * @example
 * ```ts
 * import { openRegistry } from './registry/index.js'
 *
 * const registry = await openRegistry()
 * const v = await registry.registerVersion({ name: 'churn', runId: null, artifact: '{"format":"pipeline"}' })
 * await registry.promote('churn', v.version, 'production', { actor: 'ci', reason: 'beats v1 by 0.02 AUC' })
 * const { model, bytes } = await registry.loadArtifact('churn@production')
 * await registry.close()
 * ```
 */

/** The tampered-artifact error (code `ARTIFACT_TAMPERED`), shared with tracking. */
export { ArtifactTamperedError } from '../track/index.js'
/**
 * Typed errors: `ModelNotFoundError`, `VersionNotFoundError`, `AliasNotFoundError` (code
 * `NOT_FOUND`), `RollbackUnavailableError` (code `CONFLICT`), `ConstraintFailedError` (code
 * `REGISTRY_CONSTRAINT_FAILED`).
 */
export {
  AliasNotFoundError,
  ConstraintFailedError,
  ModelNotFoundError,
  RollbackUnavailableError,
  VersionNotFoundError,
} from './errors.js'
/**
 * The model card type, its schema check (`parseModelCard`, throws `ArtifactError`
 * `MODEL_CARD_INVALID`) and its Markdown rendering (`renderModelCard`).
 *
 * @example
 * ```ts
 * import { renderModelCard } from './registry/index.js'
 * const markdown = renderModelCard(
 *   {
 *     task: { kind: 'binary-classification', target: 'churned', positiveClass: 'yes' },
 *     data: { source: 'customers.csv', rows: 10000 },
 *     intendedUse: { primary: 'Rank customers by churn risk for retention offers.' },
 *     metrics: { roc_auc: 0.91 },
 *     limitations: ['Trained on 2025 data only.'],
 *   },
 *   { name: 'churn', version: 3 },
 * )
 * ```
 */
export {
  type MetricInterval,
  type ModelCard,
  type ModelCardData,
  type ModelCardIntendedUse,
  type ModelCardLineage,
  type ModelCardOrigin,
  type ModelCardTask,
  parseModelCard,
  renderModelCard,
  renderTradeoffTable,
  type SubgroupMetrics,
  type TradeoffSide,
  tradeoffRows,
} from './model-card.js'
/**
 * Push notification of registry changes: on PostgreSQL every committed change runs
 * `pg_notify('keel_registry', <model name>)`, and `subscribeRegistryChanges` listens on a dedicated
 * connection (reconnecting with backoff); on SQLite it never calls. Replicas use it to apply a
 * promotion or rollback at once instead of at their next poll.
 *
 * @example
 * ```ts
 * import { subscribeRegistryChanges } from './registry/index.js'
 * const sub = await subscribeRegistryChanges(process.env.KEEL_DATABASE_URL, (name) => console.log(name ?? 'all'))
 * await sub.close()
 * ```
 */
export {
  REGISTRY_CHANNEL,
  type RegistrySubscription,
  type SubscribeRegistryOptions,
  subscribeRegistryChanges,
} from './notify.js'
/**
 * Opens the registry on a database URL (default `$KEEL_DATABASE_URL`, else `.keel/keel.db`) or on
 * an open `KeelDb` shared with tracking.
 *
 * @throws AppError `STORE_UNAVAILABLE` when the database cannot be opened.
 */
export { openRegistry } from './open.js'
/**
 * `parseModelRef('churn@production')` → `{ kind: 'alias', name: 'churn', alias: 'production' }`;
 * `formatModelRef` is its inverse; `checkModelName`/`checkAliasName` validate names. Throw
 * `InvalidArgumentError` on malformed text.
 *
 * @example
 * ```ts
 * import { parseModelRef } from './registry/index.js'
 * const ref = parseModelRef('churn@3') // { kind: 'version', name: 'churn', version: 3 }
 * ```
 */
export { checkAliasName, checkModelName, formatModelRef, LATEST_ALIAS, parseModelRef } from './ref.js'
/** The SQL (SQLite/PostgreSQL) implementation of `ModelRegistry`; prefer `openRegistry`. */
export { SqlModelRegistry } from './sql-registry.js'
/** The registry interface. */
export type { ModelRegistry } from './store.js'
/** Records and inputs of the registry API. */
export type {
  AliasChange,
  AliasChangeOptions,
  AliasState,
  ConstraintCheck,
  LoadedArtifact,
  ModelDetail,
  ModelRef,
  ModelSummary,
  ModelVersion,
  RegisterVersionInput,
  RegistryEvent,
  RegistryEventKind,
  ResolvedModel,
} from './types.js'
