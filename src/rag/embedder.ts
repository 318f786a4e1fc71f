/** Whether a text is a stored passage or a search query (some models embed them differently). */
export type RagEmbedPurpose = 'document' | 'query'

/**
 * Turns texts into unit-length vectors of a fixed dimension. Implementations: `RagLsaEmbedder`
 * (built in, fitted on the collection), `RagOpenAiEmbedder` (/embeddings), `RagOnnxEmbedder`
 * (local model folder through @huggingface/transformers).
 */
export interface RagEmbedder {
  /** Identifies the model; a collection refuses queries embedded by a different one. */
  readonly id: string
  readonly dimensions: number
  embed(texts: readonly string[], purpose: RagEmbedPurpose): Promise<Float32Array[]>
}

/** Which embedder a collection uses, as stored in its manifest. */
export type RagEmbedderSpec =
  | { readonly kind: 'lsa'; readonly dimensions: number; readonly seed: number }
  | { readonly kind: 'openai'; readonly model: string; readonly baseUrl?: string }
  | { readonly kind: 'onnx'; readonly path: string }

/** L2-normalises in place and returns the vector (zero vectors stay zero). @internal */
export function normalize(v: Float32Array): Float32Array {
  let norm = 0
  for (let i = 0; i < v.length; i++) norm += (v[i] as number) ** 2
  norm = Math.sqrt(norm)
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm
  return v
}
