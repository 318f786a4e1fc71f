/**
 * The issue-3 benchmark suite in one command: runs each model benchmark (Keel against its anchors
 * on the same data, in the same run) one after another and prints their ratio tables together,
 * with the machine, load and commit. Each bench can also be run on its own (see its header).
 *
 *   node /work/shared/bench/make-synthetic.mjs --rows 1000000 --seed 1 --out /tmp/syn-1m.csv
 *   node /work/shared/bench/make-synthetic.mjs --rows 200000 --seed 1 --out /tmp/syn-200k.csv
 *   node /work/shared/bench/make-synthetic.mjs --rows 100000 --seed 1 --out /tmp/syn-100k.csv
 *   node /work/shared/bench/make-synthetic.mjs --rows 50000 --seed 2 --out /tmp/syn-test-50k.csv
 *   node --import tsx bench/models.ts [--only gbdt,forest,linear,mlp,accuracy]
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { loadavg } from 'node:os'

interface Step {
  readonly name: string
  readonly args: readonly string[]
  readonly needs?: readonly string[]
}

const STEPS: readonly Step[] = [
  { name: 'accuracy', args: ['bench/gbdt-accuracy.ts'] },
  { name: 'accuracy', args: ['bench/forest-accuracy.ts', '--seeds', '1'] },
  { name: 'accuracy', args: ['bench/linear.ts'] },
  { name: 'gbdt', args: ['bench/gbdt.ts', '/tmp/syn-1m.csv'], needs: ['/tmp/syn-1m.csv'] },
  {
    name: 'forest',
    args: [
      'bench/forest.ts',
      '--train',
      '/tmp/syn-200k.csv',
      '--trees',
      '100',
      '--depth',
      '10',
      '--threads',
      '2',
    ],
    needs: ['/tmp/syn-200k.csv', '/tmp/syn-test-50k.csv'],
  },
  { name: 'mlp', args: ['bench/mlp.ts', '--epochs', '3'], needs: ['/tmp/syn-100k.csv'] },
]

const onlyArg = process.argv.indexOf('--only')
const only = onlyArg > 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',')) : undefined
const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD']).stdout?.toString().trim() ?? '?'
console.log(
  `# Keel model benchmarks (commit ${commit}, node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')})`,
)
for (const step of STEPS) {
  if (only !== undefined && !only.has(step.name)) continue
  const missing = (step.needs ?? []).filter((f) => !existsSync(f))
  if (missing.length > 0) {
    console.log(
      `\n## ${step.args[0]}: skipped, ${missing.join(', ')} missing (see the header for the commands that make them)`,
    )
    continue
  }
  console.log(`\n## ${step.args.join(' ')}\n`)
  const result = spawnSync(process.execPath, ['--import', 'tsx', ...step.args], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  if (result.status !== 0) console.log(`(exited with ${String(result.status)})`)
}
