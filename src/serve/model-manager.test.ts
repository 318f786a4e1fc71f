import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fakeModel } from '../../test/helpers/serve-fixtures.js'
import type { ModelSource } from '../pipeline/servable.js'
import { type ModelChangeFeed, ModelManager } from './model-manager.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A source whose resolve is slow and counts calls and overlap, with a change feed the test drives. */
function pushSource() {
  const state = {
    production: 1,
    resolves: 0,
    active: 0,
    maxActive: 0,
    closed: false,
    onChange: undefined as ((name: string | undefined) => void) | undefined,
  }
  const source: ModelSource & ModelChangeFeed = {
    async resolve(ref) {
      state.resolves++
      state.active++
      state.maxActive = Math.max(state.maxActive, state.active)
      await sleep(30)
      state.active--
      return { name: ref.split('@')[0]!, version: state.production }
    },
    async load(name, version) {
      return fakeModel({ name, version })
    },
    async subscribeChanges(onChange) {
      state.onChange = onChange
      return {
        close: async () => {
          state.closed = true
        },
      }
    },
  }
  return { source, state }
}

test('a pushed change refreshes at once; bursts coalesce and one reference never refreshes twice at once', async () => {
  const { source, state } = pushSource()
  // The poll is far away: only the push can explain a switch within this test.
  const manager = new ModelManager(source, { pollIntervalMs: 60_000, warmupRuns: 1 })
  await manager.track('churn@production')
  manager.start()
  await sleep(0)
  assert.ok(state.onChange !== undefined, 'the manager should subscribe on start')

  state.resolves = 0
  state.production = 2
  const started = Date.now()
  for (let i = 0; i < 10; i++) state.onChange('churn')
  while (manager.get('churn@production')?.model.version !== 2) {
    assert.ok(Date.now() - started < 2000, 'the pushed change was not applied')
    await sleep(2)
  }
  await sleep(100)
  // One refresh ran, and at most one more was queued behind it for the whole burst.
  assert.ok(state.resolves <= 2, `${state.resolves} refreshes for one burst`)
  assert.equal(state.maxActive, 1)

  // Another model's change does not touch this one; a catch-up (undefined) refreshes everything.
  state.resolves = 0
  state.onChange('other')
  await sleep(50)
  assert.equal(state.resolves, 0)
  state.onChange(undefined)
  await sleep(50)
  assert.equal(state.resolves, 1)

  // Poll and push at once still never overlap.
  state.maxActive = 0
  state.onChange('churn')
  await Promise.all([manager.pollOnce(), manager.pollOnce()])
  assert.equal(state.maxActive, 1)

  await manager.stop()
  assert.equal(state.closed, true, 'stop() closes the subscription')
  state.resolves = 0
  state.onChange('churn')
  await sleep(50)
  assert.equal(state.resolves, 0, 'no refresh after stop')
})

test('pollIntervalMs 0 turns hot swapping off: no subscription either', async () => {
  const { source, state } = pushSource()
  const manager = new ModelManager(source, { pollIntervalMs: 0, warmupRuns: 1 })
  await manager.track('churn@production')
  manager.start()
  await sleep(0)
  assert.equal(state.onChange, undefined)
  await manager.stop()
})
