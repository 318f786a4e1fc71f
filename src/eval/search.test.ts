import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Rng } from '../core/index.js'
import {
  checkSearchSpace,
  type Params,
  randomSearch,
  type SearchSpace,
  SearchSpaceError,
  sampleParams,
  successiveHalving,
} from './index.js'

const SPACE: SearchSpace = {
  x: { kind: 'uniform', low: -1, high: 1 },
  learningRate: { kind: 'logUniform', low: 1e-4, high: 1 },
  depth: { kind: 'int', low: 2, high: 10 },
  leaves: { kind: 'int', low: 4, high: 256, log: true },
  booster: { kind: 'choice', values: ['gbdt', 'dart'] },
}

/** Best at x=0.3, learningRate=0.01, depth=6, booster='gbdt'; more resource = less noise. */
function quality(p: Readonly<Params>): number {
  const x = p.x as number
  const lr = Math.log10(p.learningRate as number)
  return (
    -((x - 0.3) ** 2) -
    0.1 * (lr + 2) ** 2 -
    0.01 * ((p.depth as number) - 6) ** 2 -
    (p.booster === 'dart' ? 0.05 : 0)
  )
}

function noisyObjective(seed: number) {
  const rng = new Rng(seed)
  return async (p: Readonly<Params>, resource: number) => quality(p) + rng.normal() * (0.2 / resource)
}

describe('search space', () => {
  it('samples within bounds, repeats with a seed, and rejects bad specs', () => {
    const a = new Rng(1)
    const b = new Rng(1)
    for (let i = 0; i < 200; i++) {
      const p = sampleParams(SPACE, a)
      assert.deepEqual(p, sampleParams(SPACE, b))
      assert.ok((p.x as number) >= -1 && (p.x as number) <= 1)
      assert.ok((p.learningRate as number) >= 1e-4 && (p.learningRate as number) <= 1)
      assert.ok(Number.isInteger(p.depth) && (p.depth as number) >= 2 && (p.depth as number) <= 10)
      assert.ok(Number.isInteger(p.leaves) && (p.leaves as number) >= 4 && (p.leaves as number) <= 256)
      assert.ok(p.booster === 'gbdt' || p.booster === 'dart')
    }
    assert.throws(() => checkSearchSpace({ lr: { kind: 'logUniform', low: 0, high: 1 } }), SearchSpaceError)
    assert.throws(() => checkSearchSpace({ d: { kind: 'int', low: 3, high: 2 } }), SearchSpaceError)
    assert.throws(() => checkSearchSpace({ c: { kind: 'choice', values: [] } }), SearchSpaceError)
    assert.throws(() => checkSearchSpace({}), SearchSpaceError)
  })
})

describe('randomSearch', () => {
  it('respects maxTrials, is seeded, and finds a good region', async () => {
    const run = () =>
      randomSearch({
        space: SPACE,
        objective: noisyObjective(5),
        direction: 'higher',
        maxTrials: 80,
        seed: 3,
        resource: 10,
      })
    const a = await run()
    const b = await run()
    assert.equal(a.trials.length, 80)
    assert.equal(a.stoppedBy, 'maxTrials')
    assert.deepEqual([a.best?.params, a.best?.score], [b.best?.params, b.best?.score])
    assert.ok(quality(a.best!.params) > -0.15, `best quality ${quality(a.best!.params)}`)
  })

  it('stops on the time budget (injected clock) and survives failing trials', async () => {
    let clock = 0
    const result = await randomSearch({
      space: SPACE,
      objective: (p) => {
        clock += 10
        if ((p.x as number) < -0.5) throw new Error('diverged')
        return quality(p)
      },
      direction: 'higher',
      timeBudgetMs: 95,
      now: () => clock,
      seed: 2,
    })
    assert.equal(result.stoppedBy, 'timeBudget')
    assert.equal(result.trials.length, 10)
    assert.ok(result.best !== null && !Number.isNaN(result.best.score))
    assert.ok(result.trials.every((t) => (t.error === undefined) === !Number.isNaN(t.score)))
  })
})

describe('successiveHalving', () => {
  it('runs rungs of 27, 9, 3, 1 with growing resource and keeps the best', async () => {
    const seen: number[] = []
    const result = await successiveHalving({
      space: SPACE,
      objective: noisyObjective(8),
      direction: 'higher',
      minResource: 1,
      maxResource: 27,
      eta: 3,
      seed: 4,
      onTrial: (t) => seen.push(t.rung),
    })
    const perRung = [0, 1, 2, 3].map((r) => result.trials.filter((t) => t.rung === r))
    assert.deepEqual(
      perRung.map((t) => t.length),
      [27, 9, 3, 1],
    )
    assert.deepEqual(
      perRung.map((t) => t[0]!.resource),
      [1, 3, 9, 27],
    )
    assert.equal(seen.length, 40)
    assert.equal(result.best!.resource, 27)
    // the survivors of rung 0 are its 9 best scorers
    const rung0 = [...perRung[0]!].sort((a, b) => b.score - a.score).slice(0, 9)
    assert.deepEqual(
      new Set(perRung[1]!.map((t) => JSON.stringify(t.params))),
      new Set(rung0.map((t) => JSON.stringify(t.params))),
    )
    // the random 27-candidate pool should contain a decent configuration that SH keeps
    const poolBest = Math.max(...perRung[0]!.map((t) => quality(t.params)))
    assert.ok(quality(result.best!.params) >= poolBest - 0.1)
  })

  it('minimising, and stopping on maxTrials mid-rung', async () => {
    const result = await successiveHalving({
      space: { x: { kind: 'uniform', low: 0, high: 1 } },
      objective: (p, r) => ((p.x as number) - 0.5) ** 2 + 1 / r,
      direction: 'lower',
      minResource: 2,
      maxResource: 8,
      eta: 2,
      maxTrials: 6,
      seed: 1,
    })
    assert.equal(result.stoppedBy, 'maxTrials')
    assert.equal(result.trials.length, 6)
    // best is taken at the largest resource reached (rung 1, resource 4)
    assert.equal(result.best!.resource, 4)
  })
})
