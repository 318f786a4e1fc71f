import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { abCommand } from '../../src/cli/commands/ab.js'
import { makeServeCommand } from '../../src/cli/commands/serve.js'
import { createMemoryModelSource } from '../../src/serve/index.js'

process.env.KEEL_HOME = mkdtempSync(join(tmpdir(), 'keel-home-'))

test('keel serve rejects bad usage before starting anything', async () => {
  let created = 0
  const command = makeServeCommand(async () => {
    created++
    return createMemoryModelSource()
  })
  await assert.rejects(
    command.run([]),
    (e: Error & { code?: string }) => e.code === 'CLI_USAGE' && /No models/.test(e.message),
  )
  await assert.rejects(
    command.run(['--models', 'churn', '--workers', '0']),
    (e: Error & { code?: string }) => e.code === 'CLI_USAGE',
  )
  await assert.rejects(
    command.run(['--models', 'churn', '--port', 'abc']),
    (e: Error & { code?: string }) => e.code === 'CLI_USAGE',
  )
  await assert.rejects(
    command.run(['--config', join(mkdtempSync(join(tmpdir(), 'keel-serve-cli-')), 'does-not-exist.yaml')]),
    (e: Error & { code?: string }) => e.code === 'SERVE_CONFIG_INVALID',
  )
  assert.equal(created, 0)
})

test('keel ab report: usage and unknown experiment errors', async () => {
  const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'keel-abcli-')), 'keel.db')}`
  await assert.rejects(abCommand.run(['report']), (e: Error & { code?: string }) => e.code === 'CLI_USAGE')
  await assert.rejects(
    abCommand.run(['report', 'x', '--goal', 'up', '--db', url]),
    (e: Error & { code?: string }) => e.code === 'CLI_USAGE',
  )
  await assert.rejects(
    abCommand.run(['report', 'nope', '--db', url]),
    (e: Error & { code?: string }) => e.code === 'SERVE_NOT_FOUND',
  )
})
