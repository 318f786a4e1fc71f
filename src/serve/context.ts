/**
 * What the prediction server's route plugins share: the parts `createServer` builds once (config,
 * models, manager, metrics, database, experiments, auth) and hands to each plugin it composes.
 */
import type { FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import { checkAdmin, checkApi } from '../http/auth.js'
import type { ModelSource } from '../pipeline/servable.js'
import type { ServeTables } from '../predlog/tables.js'
import type { KeelDb } from '../store/index.js'
import type { ServeConfig } from './config.js'
import type { ExperimentBook } from './experiment-store.js'
import type { ServeMetrics } from './metrics.js'
import type { ModelManager } from './model-manager.js'
import type { ServedModel } from './predictor.js'

/** The bearer tokens and the `onRequest` hooks that check them. */
export interface ServeAuth {
  readonly apiToken: string | undefined
  readonly adminToken: string | undefined
  /** True when prediction endpoints need a token (otherwise they are open). */
  readonly apiTokenRequired: boolean
  /**
   * Checks the prediction (or admin) token. Every protected route runs it in `onRequest`: before the
   * body is read, parsed or validated, so a client without the token gets 401 and nothing else (no
   * schema errors, no parsing work on its body).
   */
  readonly requireApi: (request: FastifyRequest) => Promise<void>
  /** Checks the admin token (403 when none is configured). */
  readonly requireAdmin: (request: FastifyRequest) => Promise<void>
}

/** The auth of a server with these tokens. */
export function serveAuth(apiToken: string | undefined, adminToken: string | undefined): ServeAuth {
  return {
    apiToken,
    adminToken,
    apiTokenRequired: apiToken !== undefined && apiToken !== '',
    requireApi: async (request) => checkApi(request.headers.authorization, apiToken, adminToken),
    requireAdmin: async (request) => checkAdmin(request.headers.authorization, adminToken),
  }
}

/** Everything the route plugins of one server share. */
export interface ServeContext {
  readonly config: ServeConfig
  /** Where models come from (for aliases). */
  readonly source: ModelSource
  readonly manager: ModelManager
  readonly metrics: ServeMetrics
  /** Served models by route name. */
  readonly models: ReadonlyMap<string, ServedModel>
  /** Every reference that must be loaded before the server is ready. */
  readonly requiredRefs: ReadonlySet<string>
  readonly experiments: ExperimentBook
  /** The server's database, when it has one. */
  readonly db: KeelDb | undefined
  /** The serving tables on `db`. */
  readonly tables: Kysely<ServeTables> | undefined
  readonly auth: ServeAuth
  /** The JSON text of a request's body, when the JSON parser kept it. */
  readonly bodyTextOf: (request: FastifyRequest) => string | undefined
  /** Logs a warning through the server's logger. */
  readonly warn: (message: string, error?: unknown) => void
}

/** Route names of the served models, in config order. */
export function knownNames(ctx: ServeContext): string[] {
  return [...ctx.models.keys()]
}
