/**
 * What `keel train` costs beyond the fit: fit seconds, whole-command seconds (`runTraining`, which is
 * all `keel train` does after parsing flags) and stored artifact bytes, for each model family on each
 * /work/shared/datasets file, a seeded deep-forest regression and the synthetic classification set.
 *
 *   node ../shared/bench/make-synthetic.mjs --rows 200000 --seed 1 --out /tmp/syn-200k.csv
 *   node ../shared/bench/make-synthetic.mjs --rows 1000000 --seed 1 --out /tmp/syn-1m.csv
 *   node --import tsx bench/train-cost.ts [--cases deep,synthetic,synthetic-1m,datasets]
 *     [--deep-trees 100] [--deep-rows 54000] [--synthetic /tmp/syn-200k.csv] [--synthetic-trees 200]
 *     [--synthetic-1m /tmp/syn-1m.csv] [--families linear,rf,gbdt,mlp] [--timeout 900]
 *     [--timeout-1m 1800]
 *
 * Each case runs in its own child process (fresh store in a temp dir) under `--timeout` seconds, so
 * one pathological case (the old exact TreeSHAP on deep forests) cannot stall the table; a case cut
 * by the timeout prints `>TIMEOUT`. The machine is shared: compare the whole/fit ratio within a row.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { writeDeepRegression } from './train-cost-data.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}

interface Case {
  readonly label: string
  readonly data: string
  readonly target: string
  readonly family: string
  readonly params?: Record<string, unknown>
  /** Seconds before the case is cut (default `--timeout`). */
  readonly timeout?: number
}

interface CaseResult {
  readonly fitSeconds: number
  readonly wholeSeconds: number
  readonly artifactBytes: number
}

async function runCase(c: Case): Promise<CaseResult> {
  const { runTraining } = await import('../src/train/index.js')
  const dir = mkdtempSync(join(tmpdir(), 'keel-train-cost-'))
  try {
    const started = performance.now()
    const { result } = await runTraining({
      dataPath: c.data,
      target: c.target,
      model: c.family as 'rf',
      params: c.params ?? {},
      seed: 1,
      folds: 5,
      name: 'cost',
      storeUrl: `sqlite:${join(dir, 'keel.db')}`,
    })
    return {
      fitSeconds: result.fitSeconds,
      wholeSeconds: (performance.now() - started) / 1000,
      artifactBytes: result.artifactBytes,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const child = arg('case-json', '')
  if (child !== '') {
    const result = await runCase(JSON.parse(child) as Case)
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
    return
  }
  const cases = arg('cases', 'deep,synthetic,datasets').split(',')
  const families = arg('families', 'linear,rf,gbdt,mlp').split(',')
  const timeout = Number(arg('timeout', '900'))
  const list: Case[] = []
  if (cases.includes('datasets')) {
    const meta = JSON.parse(readFileSync('/work/shared/datasets/datasets.json', 'utf8')) as {
      datasets: { file: string; target: string }[]
    }
    for (const d of meta.datasets)
      for (const family of families)
        list.push({
          label: d.file,
          data: join('/work/shared/datasets', d.file),
          target: d.target,
          family,
        })
  }
  if (cases.includes('deep')) {
    const rows = Number(arg('deep-rows', '54000'))
    const path = join(tmpdir(), `keel-deep-regression-${rows}.csv`)
    if (!existsSync(path)) writeDeepRegression(path, rows, 7)
    const trees = Number(arg('deep-trees', '100'))
    list.push({
      label: `deep regression ${rows} rows`,
      data: path,
      target: 'y',
      family: 'rf',
      params: { nEstimators: trees },
    })
  }
  if (cases.includes('synthetic')) {
    const path = arg('synthetic', '/tmp/syn-200k.csv')
    const trees = Number(arg('synthetic-trees', '200'))
    list.push({ label: path, data: path, target: 'label', family: 'gbdt', params: { nEstimators: trees } })
  }
  if (cases.includes('synthetic-1m')) {
    // The 1M-row case (gbdt, 200 trees): a 200 MB CSV, 5-15 min on a loaded 2-core machine.
    const path = arg('synthetic-1m', '/tmp/syn-1m.csv')
    list.push({
      label: path,
      data: path,
      target: 'label',
      family: 'gbdt',
      params: { nEstimators: Number(arg('synthetic-trees', '200')) },
      timeout: Number(arg('timeout-1m', '1800')),
    })
  }
  process.stdout.write(
    '| data | model | fit s | whole s | whole/fit | artifact bytes |\n|---|---|---|---|---|---|\n',
  )
  for (const c of list) {
    const started = performance.now()
    const out = spawnSync(
      process.execPath,
      ['--import', 'tsx', process.argv[1]!, '--case-json', JSON.stringify(c)],
      { encoding: 'utf8', timeout: (c.timeout ?? timeout) * 1000, maxBuffer: 64 * 1024 * 1024 },
    )
    const line = out.stdout?.split('\n').find((l) => l.startsWith('RESULT '))
    const params = c.params === undefined ? '' : ` ${JSON.stringify(c.params)}`
    if (line === undefined) {
      const wall = ((performance.now() - started) / 1000).toFixed(0)
      const why =
        out.error !== undefined
          ? `>TIMEOUT (${wall}s)`
          : `FAILED: ${(out.stderr ?? '').split('\n').slice(-3).join(' ')}`
      process.stdout.write(`| ${c.label} | ${c.family}${params} | | ${why} | | |\n`)
      continue
    }
    const r = JSON.parse(line.slice('RESULT '.length)) as CaseResult
    process.stdout.write(
      `| ${c.label} | ${c.family}${params} | ${r.fitSeconds.toFixed(2)} | ${r.wholeSeconds.toFixed(2)} | ${(r.wholeSeconds / r.fitSeconds).toFixed(2)} | ${r.artifactBytes.toLocaleString('en-US')} |\n`,
    )
  }
}

await main()
