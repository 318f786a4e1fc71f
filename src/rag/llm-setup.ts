import type { Registry } from 'prom-client'
import { createLlmClient, type LlmClient, llmConfigFromEnv } from '../llm/index.js'
import { type KeelDb, openDb } from '../store/index.js'

/** An LLM client opened from the environment, plus what to close afterwards. */
export interface RagLlmHandle {
  readonly llm: LlmClient | undefined
  /** Why there is no client (not configured, or a configuration error). */
  readonly unavailableReason?: string
  close(): Promise<void>
}

/**
 * Builds the LLM client for RAG answers from the environment (see `llmConfigFromEnv`), logging
 * usage to the Keel store when it can be opened. Never throws: a misconfiguration becomes
 * `unavailableReason`, and answers fall back to extractive ones.
 */
export async function openRagLlm(
  env: NodeJS.ProcessEnv = process.env,
  registry?: Registry,
): Promise<RagLlmHandle> {
  let config: ReturnType<typeof llmConfigFromEnv>
  try {
    config = llmConfigFromEnv(env)
  } catch (error) {
    return { llm: undefined, unavailableReason: (error as Error).message, close: async () => undefined }
  }
  if (config === undefined)
    return {
      llm: undefined,
      unavailableReason: 'LLM not configured (set KEEL_LLM_PROVIDER and its API key, or KEEL_LLM_BASE_URL)',
      close: async () => undefined,
    }
  let db: KeelDb | undefined
  try {
    db = await openDb(env.KEEL_DATABASE_URL)
  } catch {
    // Usage logging is best effort; answering does not depend on the store.
    db = undefined
  }
  const llm = createLlmClient(config, {
    ...(db === undefined ? {} : { db }),
    ...(registry === undefined ? {} : { registry }),
  })
  return {
    llm,
    close: async () => {
      await llm.close()
      await db?.close()
    },
  }
}
