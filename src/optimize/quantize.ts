/**
 * Quantization of a bundle's model: MLP weights to int8 (per-output-channel scales) or float16;
 * tree thresholds, leaf values, covers and gains to float32.
 */
import { type FittedModel, isFittedMlp, quantizeMlp } from '../models/index.js'
import { ModelBundle } from '../pipeline/index.js'
import { unsupportedKind } from './common.js'
import {
  FOREST_KINDS,
  f32AtLeast,
  forestArrays,
  forestFromArrays,
  GBDT_KINDS,
  gbdtFromParts,
  gbdtParts,
} from './trees.js'
import type { OptimizeResult } from './types.js'

/** Weight formats `quantizeBundle` writes. */
export type QuantizeMode = 'int8' | 'float16'

const SUPPORTED = ['mlp-classifier', 'mlp-regressor', ...GBDT_KINDS, ...FOREST_KINDS]

/** A new bundle around `model`, the parent's encoder, classes and threshold unchanged. */
export function withModel(bundle: ModelBundle, model: FittedModel): ModelBundle {
  return new ModelBundle({
    task: bundle.task,
    target: bundle.target,
    classes: bundle.classes,
    features: bundle.features,
    encoder: bundle.encoder,
    model,
    threshold: bundle.threshold,
    family: bundle.family,
  })
}

/**
 * Quantizes a bundle's model.
 *
 * - MLP (`int8`): batch norm folded into the dense layers, each layer's weights as int8 with one
 *   symmetric scale per output unit, biases float32: kind `mlp-classifier-int8` /
 *   `mlp-regressor-int8`. `float16`: weights as IEEE half floats (`*-f16`).
 * - GBDT, random forest, decision tree (either mode): split thresholds rounded up to float32 (a
 *   value equal to the old threshold still goes left; only values within one float32 step above
 *   it change side), leaf values, covers and gains rounded to float32; the artifact then stores
 *   them as float32. The kind is unchanged.
 * @throws InvalidArgumentError (details.reason 'unsupported-model-kind') for other kinds (linear,
 *   baseline, already quantized models)
 */
export function quantizeBundle(bundle: ModelBundle, mode: QuantizeMode): OptimizeResult {
  const model = bundle.model
  if (isFittedMlp(model)) {
    const q = quantizeMlp(model, mode)
    return {
      bundle: withModel(bundle, q),
      method: `quantize:${mode}`,
      changes: [
        mode === 'int8'
          ? 'MLP weights stored as int8 with per-output-channel float32 scales; biases float32'
          : 'MLP weights stored as float16; biases float32',
        'batch norm folded into the dense layers',
        `model kind ${model.kind} -> ${q.kind}`,
      ],
    }
  }
  if ((GBDT_KINDS as readonly string[]).includes(model.kind)) {
    const parts = gbdtParts(model)
    const trees = parts.trees.map((t) => ({
      ...t,
      threshold: Float64Array.from(t.threshold, f32AtLeast),
      value: Float64Array.from(t.value, Math.fround),
      cover: Float64Array.from(t.cover, Math.fround),
      gain: Float64Array.from(t.gain, Math.fround),
    }))
    return {
      bundle: withModel(bundle, gbdtFromParts({ ...parts, trees })),
      method: `quantize:${mode}`,
      changes: treeChanges(mode, 'leaf values, covers and gains'),
    }
  }
  if ((FOREST_KINDS as readonly string[]).includes(model.kind)) {
    const f = forestArrays(model)
    const rounded = {
      ...f,
      threshold: Float64Array.from(f.threshold, f32AtLeast),
      value: Float64Array.from(f.value, Math.fround),
      cover: Float64Array.from(f.cover, Math.fround),
    }
    return {
      bundle: withModel(bundle, forestFromArrays(model, rounded, {})),
      method: `quantize:${mode}`,
      changes: treeChanges(mode, 'leaf values and covers'),
    }
  }
  // Quantized MLPs land here too: quantizing twice would only lose precision.
  throw unsupportedKind('quantize', model.kind, SUPPORTED)
}

function treeChanges(mode: QuantizeMode, what: string): string[] {
  return [
    `split thresholds rounded up to float32, ${what} rounded to float32 (stored as float32)`,
    ...(mode === 'int8'
      ? ['trees have no int8 form: int8 on a tree model applies the float32 rounding']
      : []),
  ]
}
