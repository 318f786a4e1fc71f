import { writeFileSync } from 'node:fs'

/**
 * A seeded regression CSV with 10 numeric and 3 categorical columns and a noisy nonlinear target,
 * so full-depth trees grow to about one row per leaf (the deep-forest case).
 */
export function writeDeepRegression(path: string, rows: number, seed: number): void {
  let s = seed >>> 0 || 1
  const u = (): number => {
    // xorshift32: deterministic and dependency-free
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return (s + 0.5) / 4294967296
  }
  const normal = (): number => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u())
  const header = [...Array.from({ length: 10 }, (_, i) => `x${i}`), 'city', 'kind', 'grade', 'y']
  const lines = [header.join(',')]
  for (let r = 0; r < rows; r++) {
    const x = Array.from({ length: 10 }, () => normal())
    const city = Math.floor(u() * 20)
    const kind = Math.floor(u() * 4)
    const grade = Math.floor(u() * 7)
    const y =
      3 * Math.sin(x[0]!) +
      x[1]! * x[2]! +
      2 * (x[3]! > 0.3 ? 1 : 0) +
      0.5 * x[4]! ** 2 +
      0.3 * city -
      kind +
      0.2 * grade * x[5]! +
      normal()
    lines.push([...x.map((v) => v.toFixed(4)), `c${city}`, `k${kind}`, `g${grade}`, y.toFixed(4)].join(','))
  }
  writeFileSync(path, `${lines.join('\n')}\n`)
}
