/**
 * Model optimization: smaller or faster versions of a fitted bundle, and the trade-off table that
 * compares them with their parent. Every optimizer takes a `ModelBundle` and returns a new one
 * (same encoder, classes and threshold unless a student brings its own encoder) with notes on
 * what changed, ready to register as a child version.
 *
 * @example
 * ```ts
 * const { bundle: child, changes } = quantizeBundle(parent, 'int8')
 * const t = measureTradeoff(parent, child, testDs)
 * console.log(renderTradeoff(t))
 * ```
 */

export type { DistillOptions, StudentFamily } from './distill.js'
export { distillBundle } from './distill.js'
export type { PruneData, PruneOptions } from './prune.js'
export { pruneBundle } from './prune.js'
export type { QuantizeMode } from './quantize.js'
export { quantizeBundle } from './quantize.js'
export type { OptimizeMethod, OptimizeVersionOptions, OptimizeVersionResult } from './run.js'
export { optimizeVersion } from './run.js'
export type { Tradeoff, TradeoffOptions, TradeoffRow } from './tradeoff.js'
export { measureTradeoff, renderTradeoff } from './tradeoff.js'
export type { OptimizeResult } from './types.js'
