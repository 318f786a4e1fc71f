import { importOptional, lazyAsync, type OptionalDependency } from '../core/index.js'

/** `max_tokens` when the request names none (both APIs require one). @internal */
export const DEFAULT_MAX_TOKENS = 1024

/** The constructor options both official SDKs (Stainless-generated) accept under the same names. */
interface SdkClientOptions {
  apiKey: string
  baseURL?: string
  maxRetries: number
  timeout: number
}

/** An SDK's default export: the client class, which also carries the SDK's error classes. */
type SdkClass<C> = new (options: SdkClientOptions) => C

/** The SDK's class (for its error classes) and the client built from it. @internal */
export interface LoadedSdk<S, C> {
  readonly sdk: S
  readonly client: C
}

/**
 * The raw adapters' shared client set-up: imports the optional SDK on the first call (a missing
 * package fails that call with `DEPENDENCY_MISSING`, not the import of Keel), builds one client with
 * the SDK's own retries off (the reliable client adds ours) and memoises it.
 * @internal
 */
export function lazySdkClient<C, S extends SdkClass<C>>(
  packageName: OptionalDependency,
  feature: string,
  load: () => Promise<{ readonly default: S }>,
  options: { readonly apiKey: string; readonly baseUrl?: string | undefined },
): () => Promise<LoadedSdk<S, C>> {
  return lazyAsync(async () => {
    const { default: sdk } = await importOptional(packageName, feature, load)
    const client = new sdk({
      apiKey: options.apiKey,
      ...(options.baseUrl === undefined ? {} : { baseURL: options.baseUrl }),
      maxRetries: 0,
      // Our retry layer owns timeouts through the abort signal; this is only a backstop.
      timeout: 600_000,
    })
    return { sdk, client }
  })
}

/** The per-call options of an SDK request: the caller's abort signal, when it gave one. @internal */
export function callOptions(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal }
}

/**
 * What the raw adapters share: the default model and the SDK client, made on the first call (the
 * SDK is an optional peer, loaded only then). @internal
 */
export abstract class SdkProvider<S, C> {
  readonly model: string
  /** The SDK's class and client, loaded and built on the first call. */
  protected readonly client: () => Promise<LoadedSdk<S, C>>

  protected constructor(model: string, client: () => Promise<LoadedSdk<S, C>>) {
    this.model = model
    this.client = client
  }

  /** Loads the SDK and builds the client (the first call does it too). */
  async prepare(): Promise<void> {
    await this.client()
  }
}
