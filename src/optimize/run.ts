import { existsSync } from 'node:fs'
import { AppError } from '../core/index.js'
import { type Dataset, selectRows } from '../data/index.js'
import { ModelBundle } from '../pipeline/index.js'
import { type ModelCard, openRegistry } from '../registry/index.js'
import { type JsonValue, openTrackingStore } from '../track/index.js'
import {
  type ConstraintCheck,
  type ConstraintSpec,
  checkConstraints,
  DEFAULT_TEST_SIZE,
  holdoutSplit,
  prepare,
} from '../train/index.js'
import { distillBundle, type StudentFamily } from './distill.js'
import { pruneBundle } from './prune.js'
import { type QuantizeMode, quantizeBundle } from './quantize.js'
import { measureTradeoff, renderTradeoff, type Tradeoff } from './tradeoff.js'
import type { OptimizeResult } from './types.js'

/** What `keel optimize` does to the parent. */
export type OptimizeMethod =
  | { readonly kind: 'quantize'; readonly mode: QuantizeMode }
  | { readonly kind: 'prune'; readonly amount: number | 'auto'; readonly structured?: boolean }
  | { readonly kind: 'distill'; readonly student: StudentFamily; readonly trees?: number }

/** Options of `optimizeVersion` (`keel optimize`). */
export interface OptimizeVersionOptions {
  /** The parent: `name`, `name@3`, `name@production`. */
  readonly ref: string
  readonly method: OptimizeMethod
  /** The parent's data (default: the file its model card names). */
  readonly dataPath?: string
  /** Registry name of the child (default: the parent's). */
  readonly name?: string
  /** Split seed and test share (default: the parent's run's). */
  readonly seed?: number
  readonly testSize?: number
  readonly storeUrl?: string
  readonly onProgress?: (message: string) => void
}

/** What `keel optimize --json` prints. */
export interface OptimizeVersionResult {
  /** `name@version` of the new (child) version. */
  readonly model: string
  readonly parent: string
  readonly method: string
  readonly changes: readonly string[]
  readonly tradeoff: Tradeoff
  /** The trade-off as a text table. */
  readonly table: string
  readonly constraints: readonly ConstraintCheck[]
  readonly eligibleForProduction: boolean
  readonly runId: string
}

/**
 * Derives a smaller or faster version from a registered one (quantized, pruned or distilled),
 * measures parent against child on the parent's held-out rows (the same seeded split its training
 * run used), checks the parent's constraints on the child, records a run and registers the child
 * with its lineage and trade-off on the model card.
 */
export async function optimizeVersion(options: OptimizeVersionOptions): Promise<OptimizeVersionResult> {
  const note = options.onProgress ?? (() => undefined)
  const registry = await openRegistry(options.storeUrl)
  const store = await openTrackingStore(options.storeUrl)
  try {
    const loaded = await registry.loadArtifact(options.ref)
    const parentVersion = loaded.model
    const parentRef = `${parentVersion.name}@${parentVersion.version}`
    const parent = ModelBundle.load(loaded.bytes)
    try {
      const parentRun =
        parentVersion.runId === null
          ? undefined
          : await store.getRun(parentVersion.runId).catch(() => undefined)
      const dataPath = options.dataPath ?? dataSourceOf(parentVersion.modelCard)
      if (dataPath === undefined)
        throw new AppError(
          'INVALID_ARGUMENT',
          `No data for ${parentRef}: its model card names no readable file. Pass --data FILE (the parent's training data, with its target column '${parent.target}').`,
        )
      const seed = options.seed ?? numberParam(parentRun?.params.seed) ?? 42
      const testSize = options.testSize ?? numberParam(parentRun?.params.testSize) ?? DEFAULT_TEST_SIZE
      note(`loading ${dataPath} (held-out split: seed ${seed}, test share ${testSize})`)
      const prepared = await prepare({
        dataPath,
        target: parent.target,
        ...(parent.task === 'regression' ? { task: 'regression' as const } : { task: parent.task }),
        ...(parent.task === 'binary' ? { positiveClass: parent.classes[1]! } : {}),
        model: 'auto',
        seed,
        testSize,
        folds: 2,
      })
      const testDs = selectRows(prepared.dataset, prepared.testIndex)
      const trainDs = prepared.trainDs

      const result = await derive(parent, options.method, trainDs, prepared.yTrain, seed, note)
      const child = result.bundle
      try {
        note('measuring parent against child on the held-out rows')
        const tradeoff = measureTradeoff(parent, child, testDs, {
          parentLabel: parentRef,
          childLabel: 'child',
        })
        const childBytes = child.toBytes()
        const spec = constraintSpecOf(parentVersion.constraints)
        const constraints = checkConstraints(spec, child, childBytes.byteLength, tradeoff.child.latencyMs)
        const eligibleForProduction = constraints.every((c) => c.passed || !c.hard)
        const name = options.name ?? parentVersion.name
        const run = await store.createRun({
          experiment: name,
          name: `${name}-${result.method}`,
          params: {
            parent: parentRef,
            method: result.method,
            seed,
            testSize,
            ...methodParams(options.method),
          },
          tags: { source: 'optimize', parent: parentRef, method: result.method, task: parent.task },
          seed,
        })
        await store.logMetrics(run.id, tradeoffMetrics(tradeoff))
        await store.logArtifact(run.id, {
          kind: 'bytes',
          name: 'model.keel',
          bytes: childBytes,
          contentType: 'application/octet-stream',
        })
        // Monitoring compares live traffic with the parent's training profile: the child serves the
        // same population, so it shares the parent's reference profile.
        if (parentVersion.runId !== null) {
          const profile = await store
            .getArtifact(parentVersion.runId, 'reference-profile.json')
            .catch(() => undefined)
          if (profile !== undefined)
            await store.logArtifact(run.id, {
              kind: 'bytes',
              name: 'reference-profile.json',
              bytes: profile,
              contentType: 'application/json',
            })
        }
        note('registering the optimized version')
        const metrics = tradeoff.child.metrics
        const version = await registry.registerVersion({
          name,
          runId: run.id,
          artifact: childBytes,
          featureSchema: child.features.map((f) => ({ ...f })),
          metrics,
          constraints: constraints.map((c) => ({ ...c })),
          modelCard: childCard(parentVersion.modelCard, {
            parentRef,
            result,
            tradeoff,
            constraints,
            eligibleForProduction,
            testRows: testDs.nRows,
          }),
          ...(parentVersion.fallback === null ? {} : { fallback: parentVersion.fallback }),
          description: `${result.method} of ${parentRef}`,
        })
        await store.finishRun(run.id, { status: 'finished' })
        return {
          model: `${name}@${version.version}`,
          parent: parentRef,
          method: result.method,
          changes: result.changes,
          tradeoff,
          table: renderTradeoff(tradeoff),
          constraints,
          eligibleForProduction,
          runId: run.id,
        }
      } finally {
        await child.close()
      }
    } finally {
      await parent.close()
    }
  } finally {
    await store.close()
    await registry.close()
  }
}

async function derive(
  parent: ModelBundle,
  method: OptimizeMethod,
  trainDs: Dataset,
  yTrain: Float64Array,
  seed: number,
  note: (message: string) => void,
): Promise<OptimizeResult> {
  if (method.kind === 'quantize') {
    note(`quantizing to ${method.mode}`)
    return quantizeBundle(parent, method.mode)
  }
  if (method.kind === 'prune') {
    // Pruning decides what to keep on rows it was not fitted on: a seeded share of the training
    // part (never the held-out rows the trade-off is measured on).
    const { train, test } = holdoutSplit(yTrain, parent.task, 0.2, seed)
    note(`pruning (${method.amount === 'auto' ? 'auto' : method.amount}; ${test.length} validation rows)`)
    return pruneBundle(
      parent,
      method.amount,
      { train: selectRows(trainDs, train), validation: selectRows(trainDs, test) },
      { seed, ...(method.structured === undefined ? {} : { structured: method.structured }) },
    )
  }
  note(
    `distilling a ${method.student} student${method.trees === undefined ? '' : ` (${method.trees} trees)`}`,
  )
  return distillBundle(parent, trainDs, {
    student: method.student,
    seed,
    ...(method.trees === undefined ? {} : { trees: method.trees }),
  })
}

function dataSourceOf(card: ModelCard | null): string | undefined {
  const source = card?.data.source
  return source !== undefined && existsSync(source) ? source : undefined
}

function numberParam(value: JsonValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

function methodParams(method: OptimizeMethod): Record<string, string | number | boolean> {
  if (method.kind === 'quantize') return { quantize: method.mode }
  if (method.kind === 'prune')
    return {
      prune: method.amount,
      ...(method.structured === undefined ? {} : { structured: method.structured }),
    }
  return { student: method.student, ...(method.trees === undefined ? {} : { trees: method.trees }) }
}

/** The parent's constraint limits, so the child is held to the same task file. */
function constraintSpecOf(
  checks: readonly { readonly name: string; readonly limit?: unknown }[],
): ConstraintSpec {
  let spec: ConstraintSpec = {}
  for (const c of checks) {
    if (c.name === 'latency_ms' && typeof c.limit === 'number') spec = { ...spec, latencyMs: c.limit }
    if (c.name === 'model_size_mb' && typeof c.limit === 'number') spec = { ...spec, modelSizeMb: c.limit }
    if (
      c.name === 'interpretability' &&
      (c.limit === 'required' || c.limit === 'preferred' || c.limit === 'none')
    )
      spec = { ...spec, interpretability: c.limit }
  }
  return spec
}

function tradeoffMetrics(t: Tradeoff): Record<string, number> {
  const out: Record<string, number> = {
    size_bytes: t.child.sizeBytes,
    parent_size_bytes: t.parent.sizeBytes,
    latency_ms: t.child.latencyMs,
    parent_latency_ms: t.parent.latencyMs,
    rows_per_second: t.child.rowsPerSecond,
    parent_rows_per_second: t.parent.rowsPerSecond,
  }
  for (const [k, v] of Object.entries(t.child.metrics)) out[k] = v
  for (const [k, v] of Object.entries(t.parent.metrics)) out[`parent_${k}`] = v
  return out
}

function childCard(
  parentCard: ModelCard | null,
  facts: {
    readonly parentRef: string
    readonly result: OptimizeResult
    readonly tradeoff: Tradeoff
    readonly constraints: readonly ConstraintCheck[]
    readonly eligibleForProduction: boolean
    readonly testRows: number
  },
): ModelCard {
  const { parentRef, result, tradeoff: t, constraints } = facts
  const side = (r: Tradeoff['parent']) => ({
    artifactBytes: r.sizeBytes,
    latencyMs: r.latencyMs,
    batchRowsPerSecond: r.rowsPerSecond,
    metric: r.metrics[t.primaryMetric] ?? Number.NaN,
  })
  const base: ModelCard = parentCard ?? {
    task: { kind: result.bundle.task, target: result.bundle.target },
    data: { source: 'unknown' },
    intendedUse: { primary: `As ${parentRef}.` },
    metrics: {},
    limitations: [],
  }
  return {
    ...base,
    title: `${base.title ?? parentRef}, ${result.method}`,
    model: { family: result.bundle.family },
    metrics: t.child.metrics,
    metricsSplit: `test (${facts.testRows} held-out rows of the parent's split)`,
    constraints: constraints.map((c) => ({ ...c })),
    limitations: [
      ...base.limitations.filter((l) => !l.startsWith('Fails a hard constraint')),
      ...result.changes,
      ...(facts.eligibleForProduction
        ? []
        : ['Fails a hard constraint from the task file: not for production.']),
    ],
    lineage: {
      parent: parentRef,
      method: result.method,
      details: { changes: [...result.changes] },
      tradeoff: {
        metric: t.primaryMetric,
        split: `test, ${facts.testRows} rows`,
        parent: side(t.parent),
        child: side(t.child),
      },
    },
  }
}
