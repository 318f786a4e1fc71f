/**
 * Optional peer dependencies (LanceDB + apache-arrow, the OpenAI and Anthropic SDKs, ioredis, pg):
 * each feature that needs one loads it on first use, and when it is not installed fails with
 * `DEPENDENCY_MISSING` naming the package and the install command. The packages are installed here
 * (devDependencies), so test/helpers/hide-packages.mjs makes them look absent in a child process.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, test } from 'node:test'
import { isMissingPackage, OPTIONAL_DEPENDENCIES } from '../src/core/optional-dependency.js'

const ROOT = resolve(import.meta.dirname, '..')

interface Outcome {
  readonly code: string
  readonly package: string | null
  readonly message?: string
}

/** Runs the named features in one child process with `hide` made to look uninstalled. */
function runFeatures(features: readonly string[], hide: readonly string[]): Record<string, Outcome> {
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      join(ROOT, 'test/helpers/hide-packages.mjs'),
      join(ROOT, 'test/helpers/optional-deps-child.ts'),
      ...features,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, KEEL_HIDE_PACKAGES: hide.join(',') },
      encoding: 'utf8',
      timeout: 120_000,
    },
  )
  assert.equal(result.status, 0, `child failed:\n${result.stderr}`)
  return JSON.parse(result.stdout) as Record<string, Outcome>
}

type Optional = keyof typeof OPTIONAL_DEPENDENCIES

/** Feature -> the optional package it needs first. */
const NEEDS: Readonly<Record<string, Optional>> = {
  'openai-provider': 'openai',
  'anthropic-provider': '@anthropic-ai/sdk',
  'llm-client': 'openai',
  'redis-cache': 'ioredis',
  postgres: 'pg',
  'openai-embedder': 'openai',
  // LanceDB's store loads apache-arrow first (LanceDB itself requires it).
  'lance-store': 'apache-arrow',
}
const FEATURES = Object.keys(NEEDS)

function assertMissing(outcome: Outcome | undefined, pkg: Optional): void {
  assert.equal(outcome?.code, 'DEPENDENCY_MISSING', JSON.stringify(outcome))
  assert.equal(outcome.package, pkg)
  assert.ok(outcome.message?.includes(`npm install ${pkg}@${OPTIONAL_DEPENDENCIES[pkg]}`), outcome.message)
}

describe('optional peer dependencies', () => {
  test('each feature without its package: DEPENDENCY_MISSING naming the package and the install command', () => {
    const outcomes = runFeatures(FEATURES, Object.keys(OPTIONAL_DEPENDENCIES))
    for (const [feature, pkg] of Object.entries(NEEDS)) assertMissing(outcomes[feature], pkg)
  })

  test('the RAG store with apache-arrow present but not LanceDB names @lancedb/lancedb', () => {
    assertMissing(runFeatures(['lance-store'], ['@lancedb/lancedb'])['lance-store'], '@lancedb/lancedb')
  })

  // The control: with every package present the same calls get past loading and fail (or not) for
  // their own reasons, so the cases above fail only because the package is hidden.
  test('with the packages installed, the same calls do not report DEPENDENCY_MISSING', () => {
    const outcomes = runFeatures(FEATURES, [])
    const codes = Object.fromEntries(Object.entries(outcomes).map(([feature, o]) => [feature, o.code]))
    assert.deepEqual(codes, {
      'openai-provider': 'LLM_CONNECTION',
      'anthropic-provider': 'LLM_CONNECTION',
      'llm-client': 'LLM_CONNECTION',
      'redis-cache': 'LLM_CACHE_UNAVAILABLE',
      postgres: 'STORE_UNAVAILABLE',
      'openai-embedder': 'RAG_EMBEDDER_UNAVAILABLE',
      'lance-store': 'LANCE_OPENED',
    })
  })

  test('a file missing inside an installed package is a broken install, not an absent package', () => {
    const broken = Object.assign(
      new Error("Cannot find module '/app/node_modules/openai/internal/x.mjs' imported from /app/a.js"),
      { code: 'ERR_MODULE_NOT_FOUND' },
    )
    assert.equal(isMissingPackage(broken, 'openai'), false)
    const absent = Object.assign(new Error("Cannot find package 'openai' imported from /app/a.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    })
    assert.equal(isMissingPackage(absent, 'openai'), true)
    const required = Object.assign(
      new Error("Cannot find module 'apache-arrow'\nRequire stack:\n- /app/a.js"),
      {
        code: 'MODULE_NOT_FOUND',
      },
    )
    assert.equal(isMissingPackage(required, 'apache-arrow'), true)
    assert.equal(isMissingPackage(absent, 'pg'), false)
  })

  test('package.json declares exactly these as optional peers, installed as devDependencies', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>
      devDependencies: Record<string, string>
      peerDependencies: Record<string, string>
      peerDependenciesMeta: Record<string, { optional?: boolean }>
    }
    assert.deepEqual(pkg.peerDependencies, OPTIONAL_DEPENDENCIES)
    for (const name of Object.keys(OPTIONAL_DEPENDENCIES)) {
      assert.equal(pkg.peerDependenciesMeta[name]?.optional, true, `${name} is not an optional peer`)
      assert.ok(pkg.devDependencies[name] !== undefined, `${name} is not installed for the tests`)
      assert.equal(pkg.dependencies[name], undefined, `${name} is still a hard dependency`)
    }
  })
})
