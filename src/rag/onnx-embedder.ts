import { existsSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { normalize, type RagEmbedder } from './embedder.js'
import { RagError } from './errors.js'

const PACKAGE = '@huggingface/transformers'

type FeatureExtractor = (
  texts: string[],
  options: { pooling: 'mean'; normalize: boolean },
) => Promise<{ dims: number[]; data: Float32Array | number[] }>

/**
 * A local sentence-embedding model (ONNX weights in a folder, e.g. all-MiniLM-L6-v2 exported by
 * Optimum) run through `@huggingface/transformers`, which is an optional dependency: it is
 * imported only when this embedder is used, and never downloads anything.
 */
export class RagOnnxEmbedder implements RagEmbedder {
  readonly id: string

  private constructor(
    private readonly extractor: FeatureExtractor,
    readonly dimensions: number,
    path: string,
  ) {
    this.id = `onnx:${basename(path)}`
  }

  /**
   * Loads the model folder.
   * @throws RagError RAG_EMBEDDER_UNAVAILABLE when the package or the folder is missing.
   */
  static async load(path: string): Promise<RagOnnxEmbedder> {
    const folder = resolve(path)
    if (!existsSync(folder))
      throw new RagError('RAG_EMBEDDER_UNAVAILABLE', `ONNX model folder ${folder} does not exist.`)
    let transformers: {
      env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string }
      pipeline: (task: string, model: string, options: Record<string, unknown>) => Promise<FeatureExtractor>
    }
    try {
      // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
      const name: string = PACKAGE
      transformers = (await import(name)) as typeof transformers
    } catch (error) {
      throw new RagError(
        'RAG_EMBEDDER_UNAVAILABLE',
        `The ONNX embedder needs the optional package ${PACKAGE}, which is not installed. Run 'npm install ${PACKAGE}@4' (set ONNXRUNTIME_NODE_INSTALL=skip offline), or use the built-in 'lsa' embedder.`,
        { cause: error },
      )
    }
    transformers.env.allowRemoteModels = false
    transformers.env.allowLocalModels = true
    transformers.env.localModelPath = dirname(folder)
    let extractor: FeatureExtractor
    try {
      extractor = await transformers.pipeline('feature-extraction', basename(folder), {
        local_files_only: true,
        dtype: 'fp32',
      })
    } catch (error) {
      throw new RagError(
        'RAG_EMBEDDER_UNAVAILABLE',
        `Cannot load the ONNX model in ${folder}: ${(error as Error).message}`,
        { cause: error },
      )
    }
    const probe = await extractor(['probe'], { pooling: 'mean', normalize: true })
    return new RagOnnxEmbedder(extractor, probe.dims[probe.dims.length - 1] ?? 0, folder)
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = []
    for (let i = 0; i < texts.length; i += 32) {
      const batch = texts.slice(i, i + 32)
      const tensor = await this.extractor(batch, { pooling: 'mean', normalize: true })
      const data = Float32Array.from(tensor.data)
      for (let b = 0; b < batch.length; b++)
        out.push(normalize(data.slice(b * this.dimensions, (b + 1) * this.dimensions)))
    }
    return out
  }
}
