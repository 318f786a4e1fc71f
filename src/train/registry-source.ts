import { ModelBundle } from '../pipeline/index.js'
import { openRegistry } from '../registry/index.js'

/**
 * Resolves a registry reference (`churn`, `churn@3`, `churn@production`) and loads its bundle,
 * verifying the artifact's content hash on the way (the registry refuses tampered artifacts).
 */
export async function loadBundleByRef(
  ref: string,
  storeUrl?: string,
): Promise<{ bundle: ModelBundle; name: string; version: number }> {
  const registry = await openRegistry(storeUrl)
  try {
    const loaded = await registry.loadArtifact(ref)
    return {
      bundle: ModelBundle.load(loaded.bytes),
      name: loaded.model.name,
      version: loaded.model.version,
    }
  } finally {
    await registry.close()
  }
}
