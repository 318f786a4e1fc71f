import type { SearchSpace } from '../eval/index.js'
import type { ModelFamily } from './families.js'

/**
 * Documented search spaces used when `keel train` tunes the chosen family (`--trials`,
 * `--tune-minutes`). Ranges are those practitioners search for these model kinds; the defaults of
 * each family sit inside them, so tuning can only be kept when it beats the defaults in CV.
 */
export const SEARCH_SPACES: Readonly<Record<ModelFamily, SearchSpace | undefined>> = {
  baseline: undefined,
  linear: { l2: { kind: 'logUniform', low: 1e-3, high: 100 } },
  rf: {
    minSamplesLeaf: { kind: 'int', low: 1, high: 20, log: true },
    maxFeatures: { kind: 'choice', values: ['sqrt', 0.33, 0.5, 0.8] },
  },
  gbdt: {
    learningRate: { kind: 'logUniform', low: 0.02, high: 0.3 },
    maxLeaves: { kind: 'int', low: 8, high: 96, log: true },
    minSamplesLeaf: { kind: 'int', low: 5, high: 80, log: true },
    l2: { kind: 'logUniform', low: 1e-3, high: 10 },
    colsample: { kind: 'uniform', low: 0.5, high: 1 },
  },
  mlp: {
    learningRate: { kind: 'logUniform', low: 3e-4, high: 3e-3 },
    dropout: { kind: 'uniform', low: 0, high: 0.3 },
    weightDecay: { kind: 'logUniform', low: 1e-5, high: 1e-2 },
  },
}
