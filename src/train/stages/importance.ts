import { Rng } from '../../core/index.js'
import { type Dataset, selectRows } from '../../data/index.js'
import {
  encodedOwners,
  isExplainable,
  type ModelBundle,
  sampledGlobalContributions,
  shapSampleNote,
} from '../../pipeline/index.js'

/** Training rows the monitoring importance explains at most. */
const IMPORTANCE_ROWS = 300

/**
 * Fewest explained rows a SHAP importance is trusted from. Below it (a budget cut on a large model,
 * e.g. one or two rows through a forest of full-depth trees) the mean |SHAP| is one row's local
 * story, so the model's own gain importance, which summarises every training row, is used instead.
 */
const MIN_IMPORTANCE_ROWS = 30

/**
 * Global importance per input feature, normalised to sum to 1: mean |contribution| (TreeSHAP or
 * linear) over a sample of training rows where the model can be explained exactly, else (or when
 * the time budget let SHAP explain fewer than {@link MIN_IMPORTANCE_ROWS} rows) the model's own
 * gain importance summed over each feature's encoded columns. Drift monitoring weights
 * features by it, so a feature the model ignores cannot raise the alarm on its own.
 */
export function trainingImportance(
  bundle: ModelBundle,
  trainDs: Dataset,
  seed: number,
  budgetMs?: number,
  onSample?: (note: string) => void,
): Record<string, number> | undefined {
  let raw: { feature: string; value: number }[] | undefined
  if (isExplainable(bundle)) {
    // Sample rows before encoding: encoding every training row would cost more than the SHAP sample.
    const picks = new Rng(seed).permutation(trainDs.nRows).subarray(0, IMPORTANCE_ROWS)
    const x = bundle.encoder.encodeDataset(
      trainDs.nRows > IMPORTANCE_ROWS ? selectRows(trainDs, Int32Array.from(picks).sort()) : trainDs,
    )
    const shap = sampledGlobalContributions(bundle, x, {
      maxRows: IMPORTANCE_ROWS,
      seed,
      minRows: MIN_IMPORTANCE_ROWS,
      ...(budgetMs === undefined ? {} : { budgetMs }),
    })
    onSample?.(shapSampleNote(shap, 'training rows', trainDs.nRows))
    raw = shap.contributions.map((c) => ({ feature: c.feature, value: c.contribution }))
    if (shap.rowsExplained < Math.min(MIN_IMPORTANCE_ROWS, trainDs.nRows)) {
      const gain = gainImportance(bundle)
      if (gain !== undefined) {
        onSample?.(
          `monitoring importance: the model's gain importance (SHAP explained only ${shap.rowsExplained} rows within its budget, fewer than ${MIN_IMPORTANCE_ROWS}).`,
        )
        raw = gain
      }
    }
  } else raw = gainImportance(bundle)
  if (raw === undefined) return undefined
  const total = raw.reduce((a, r) => a + (Number.isFinite(r.value) ? Math.abs(r.value) : 0), 0)
  if (!(total > 0)) return undefined
  return Object.fromEntries(
    raw.map((r) => [r.feature, Number.isFinite(r.value) ? Math.abs(r.value) / total : 0]),
  )
}

/** The model's gain importance summed over each input feature's encoded columns, when it has one. */
function gainImportance(bundle: ModelBundle): { feature: string; value: number }[] | undefined {
  const gain = bundle.model.featureImportance?.('gain')
  if (gain === undefined) return undefined
  const owners = encodedOwners(bundle)
  const sums = new Float64Array(bundle.features.length)
  for (let j = 0; j < gain.length; j++) sums[owners[j]!]! += gain[j]!
  return bundle.features.map((f, i) => ({ feature: f.name, value: sums[i]! }))
}
