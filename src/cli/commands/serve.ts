import { AppError } from '../../core/index.js'
import {
  loadServeConfig,
  type ModelSource,
  parseServeConfig,
  type ServeConfig,
  startServer,
} from '../../serve/index.js'
import { flagOpt, parseCommandArgs, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { info } from '../output.js'

const USAGE = `Usage: keel serve [--port 8080] [--host 127.0.0.1] [--models churn@production,...] [--workers N] [--config FILE] [--allow-degraded]

Starts the prediction server. Models are loaded from the registry by reference and hot-swapped when
an alias moves (keel models promote). Endpoints: POST /v1/models/{name}/predict, GET /v1/models,
POST /v1/feedback, POST /v1/rag/query (when the config sets rag.collection), GET /health, /ready,
/metrics, /openapi.json, /docs, the monitoring dashboard at / and its JSON APIs under /v1/monitor;
admin endpoints need KEEL_ADMIN_TOKEN, prediction and RAG endpoints need KEEL_API_TOKEN when it is
set; with either token set, the dashboard needs KEEL_ADMIN_TOKEN from every client.

Options:
  --port       port (default 8080; 0 picks a free one)
  --host       address (default 127.0.0.1)
  --models     comma-separated references; replaces the config file's models
  --workers    worker processes (default: the number of cores)
  --config     YAML/JSON config: models, fallbacks, shadow, canary, experiments, limits, log,
               monitor (drift-check schedule, alert webhook), rag (collection)
  --db         database for the prediction log, feedback and experiments (default $KEEL_DATABASE_URL)
  --allow-degraded
               start even when a model reference does not resolve (it answers 503 and is retried;
               each failure is logged once); by default keel serve refuses to start, naming it

Exits non-zero at once, with one line saying why, when a model does not resolve or the address
cannot be listened on. SIGTERM/SIGINT (to the server or its whole process group) stop gracefully:
in-flight requests finish, connections still open after timeouts.shutdownMs (default 10 s) are
closed, and the prediction log is flushed; later signals do not interrupt it.`

/** Builds the model source the server loads from (the registry in the shipped CLI). */
export type ModelSourceFactory = () => Promise<ModelSource>

/**
 * Makes the \`keel serve\` command over a model source factory, so the registry-backed source can be
 * plugged in (and tests can pass an in-memory one).
 */
export function makeServeCommand(createSource: ModelSourceFactory): Command {
  return {
    name: 'serve',
    summary: 'Start the prediction server (A/B tests, shadow, canary, fallbacks, metrics)',
    usage: USAGE,
    async run(argv): Promise<number> {
      const args = parseCommandArgs(
        argv,
        {
          port: { type: 'string' },
          host: { type: 'string' },
          models: { type: 'string' },
          workers: { type: 'string' },
          config: { type: 'string' },
          db: { type: 'string' },
          'allow-degraded': { type: 'boolean' },
        },
        USAGE,
        { command: 'keel serve', positionalHint: 'pass models with --models REF,... or a --config FILE' },
      )
      if (args.positionals.length > 0)
        throw new AppError('CLI_USAGE', `Unexpected argument '${args.positionals[0]}'.\n${USAGE}`)
      const int = (name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined => {
        const raw = stringOpt(args, name)
        if (raw === undefined) return undefined
        const value = Number(raw)
        if (!Number.isInteger(value) || value < min || value > max) {
          const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`
          throw new AppError('CLI_USAGE', `--${name} must be an integer ${range}, got '${raw}'.\n${USAGE}`)
        }
        return value
      }
      const port = int('port', 0, 65535)
      const workers = int('workers', 1)
      const configPath = stringOpt(args, 'config')
      let config: ServeConfig = configPath === undefined ? parseServeConfig({}) : loadServeConfig(configPath)
      const models = stringOpt(args, 'models')
      if (models !== undefined) {
        const refs = models
          .split(',')
          .map((m) => m.trim())
          .filter((m) => m !== '')
        config = { ...config, models: refs }
      }
      const db = stringOpt(args, 'db')
      if (db !== undefined) config = { ...config, databaseUrl: db }
      if (flagOpt(args, 'allow-degraded')) config = { ...config, allowDegraded: true }
      if (config.models.length === 0)
        throw new AppError(
          'CLI_USAGE',
          `No models to serve: pass --models churn@production or a --config with models.\n${USAGE}`,
        )
      const source = await createSource()
      try {
        await startServer({
          source,
          config,
          port: port ?? 8080,
          host: stringOpt(args, 'host') ?? '127.0.0.1',
          ...(workers === undefined ? {} : { workers }),
          onListening: (url) => info(`keel serve: listening on ${url} (docs at ${url}/docs)`),
        })
      } catch (error) {
        // Nothing may keep the process up after a failed start (a supervisor waits for the exit).
        await (source as ModelSource & { close?: () => Promise<void> }).close?.().catch(() => undefined)
        throw error
      }
      return 0
    },
  }
}

/** `keel serve`: models come from the registry (aliases re-resolved on every poll). */
export const serveCommand: Command = makeServeCommand(async () => {
  // Imported lazily so that `keel serve --help` does not load the training stack.
  const { createRegistryModelSource } = await import('../../train/index.js')
  return createRegistryModelSource()
})
