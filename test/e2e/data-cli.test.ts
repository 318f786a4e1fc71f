import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'node:test'

const ROOT = resolve(import.meta.dirname, '../..')
const FIX = join(ROOT, 'test/fixtures/data')
const MAIN = join(ROOT, 'src/cli/main.ts')

/** Runs `keel ARGS` from source (no build needed) in `cwd`. */
function keel(args: string[], cwd = ROOT): { code: number; stdout: string; stderr: string } {
  const script = `import(${JSON.stringify(MAIN)}).then((m) => m.main(${JSON.stringify(args)})).then((c) => { process.exitCode = c })`
  const home = mkdtempSync(join(tmpdir(), 'keel-home-'))
  const r = spawnSync(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script],
    {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, KEEL_HOME: home, KEEL_DEBUG: '' },
    },
  )
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-data-e2e-'))
  const rows = ['id,amount,plan,signup,churned']
  for (let i = 0; i < 60; i++)
    rows.push(
      `c${i},${(i * 7) % 50}.5,${i % 3 === 0 ? 'pro' : 'basic'},2024-01-${String((i % 28) + 1).padStart(2, '0')},${i % 2}`,
    )
  writeFileSync(join(dir, 'clean.csv'), `${rows.join('\n')}\n`)
  const bad = [...rows]
  bad[3] = 'c1,-5,gold,2024-01-02,1'
  bad[5] = 'c1,3.5,,2024-01-04,2'
  writeFileSync(join(dir, 'bad.csv'), `${bad.join('\n')}\n`)
  writeFileSync(
    join(dir, 'keel.yaml'),
    'task: binary\ndata: clean.csv\ntarget: churned\nid: id\nvalidation:\n  allowed_levels: { plan: [basic, pro] }\n  ranges: { amount: { min: 0 } }\n',
  )
  return dir
}

test('keel validate: 0 with a one-line OK, 1 with every problem, 2 for unreadable files', () => {
  const dir = workdir()
  const ok = keel(['validate', '--data', 'clean.csv'], dir)
  assert.equal(ok.code, 0, ok.stderr)
  assert.match(ok.stdout, /^OK: clean\.csv \(60 rows × 5 columns\) passed validation\.\n$/)

  const bad = keel(['validate', '--data', 'bad.csv'], dir)
  assert.equal(bad.code, 1, bad.stderr)
  assert.match(bad.stdout, /error \[DUPLICATE_ID\] id: 2 row\(s\) repeat an id/)
  assert.match(bad.stdout, /error \[LEVEL_NOT_ALLOWED\] plan: 1 value\(s\).*row 3: "gold"/)
  assert.match(bad.stdout, /error \[OUT_OF_RANGE\] amount:.*row 3: -5/)
  assert.match(
    bad.stdout,
    /error \[TARGET_CLASSES\] churned: A binary target needs exactly 2 classes; 'churned' has 3/,
  )
  assert.match(bad.stdout, /FAILED: bad\.csv .*: 4 error\(s\)/)

  const json = keel(['validate', '--data', 'bad.csv', '--json'], dir)
  assert.equal(json.code, 1)
  const report = JSON.parse(json.stdout) as { ok: boolean; errors: { code: string; rows: number }[] }
  assert.equal(report.ok, false)
  assert.deepEqual(report.errors.map((e) => e.code).sort(), [
    'DUPLICATE_ID',
    'LEVEL_NOT_ALLOWED',
    'OUT_OF_RANGE',
    'TARGET_CLASSES',
  ])

  for (const [file, code] of [
    // Every bad-file case has a unit test in src/data/load.test.ts; these check the CLI path (exit 2, one line).
    ['empty.csv', 'DATA_EMPTY'],
    ['ragged.csv', 'DATA_RAGGED_ROWS'],
  ] as const) {
    const r = keel(['validate', '--data', join(FIX, file), '--target', 'a', '--task', 'binary'], dir)
    assert.equal(r.code, 2, `${file}: ${r.stdout}${r.stderr}`)
    assert.match(r.stderr, new RegExp(`^error \\[${code}\\]: [^\\n]+\\n$`))
  }
})

test('keel inspect prints types and summaries, and JSON for machines', () => {
  const dir = workdir()
  const text = keel(['inspect', 'clean.csv'], dir)
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /60 rows × 5 columns/)
  assert.match(text.stdout, /amount\s+numeric\s+0\s+\d+\s+min 0\.5 \/ median [\d.]+ \/ max 49\.5/)
  assert.match(text.stdout, /plan\s+categorical\s+0\s+2\s+basic \(40\), pro \(20\)/)
  const json = keel(['inspect', join(FIX, 'types.csv'), '--json'])
  assert.equal(json.code, 0, json.stderr)
  const out = JSON.parse(json.stdout) as {
    nRows: number
    fingerprint: string
    columns: { name: string; kind: string; missing: number }[]
  }
  assert.equal(out.nRows, 4)
  assert.match(out.fingerprint, /^[0-9a-f]{64}$/)
  assert.deepEqual(
    out.columns.map((c) => [c.name, c.kind, c.missing]),
    [
      ['id', 'numeric', 0],
      ['amount', 'numeric', 1],
      ['city', 'categorical', 1],
      ['active', 'boolean', 1],
      ['signup', 'datetime', 1],
      ['note', 'categorical', 0],
    ],
  )
  const wrong = keel(['inspect', join(FIX, 'semicolon.csv'), '--delimiter', ','])
  assert.equal(wrong.code, 2)
  assert.match(wrong.stderr, /DATA_DELIMITER.*looks ';'-delimited/)
})
