import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Rng } from '../core/index.js'

/** Files written by `makeChurnData`. */
export interface ChurnDataFiles {
  readonly customers: string
  readonly transactions: string
  readonly nCustomers: number
  readonly nTransactions: number
}

const PLANS = ['basic', 'standard', 'premium'] as const
const REGIONS = ['north', 'south', 'east', 'west', 'central'] as const
const CHANNELS = ['web', 'app', 'store'] as const
const CATEGORIES = ['grocery', 'electronics', 'fashion', 'home', 'travel', 'fees'] as const
const DAY_MS = 86_400_000

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19)
}

/**
 * Writes a realistic, seeded customer-churn scenario: `customers.csv` (one row per customer with
 * plan, region, tenure, support contacts and the churn label observed 30 days after the snapshot
 * date) and `transactions.csv` (the customers' purchases in the 180 days before the snapshot).
 * Churn is driven by falling activity, low recent spend, payment failures, support contacts, plan
 * and tenure, with noise, so the history aggregates carry most of the signal.
 */
export function makeChurnData(
  dir: string,
  options: { customers?: number; seed?: number } = {},
): ChurnDataFiles {
  const nCustomers = options.customers ?? 5000
  const rng = new Rng(options.seed ?? 7)
  mkdirSync(dir, { recursive: true })
  const snapshot = Date.UTC(2026, 5, 30)
  const customerLines = [
    'customer_id,signup_date,plan,region,age,monthly_fee,support_tickets_90d,payment_failures_90d,snapshot_date,churned',
  ]
  const txnLines = ['customer_id,ts,amount,category,channel']
  let nTransactions = 0
  for (let i = 0; i < nCustomers; i++) {
    const id = `C${String(i + 1).padStart(5, '0')}`
    const planDraw = rng.next()
    const plan = planDraw < 0.5 ? PLANS[0] : planDraw < 0.82 ? PLANS[1] : PLANS[2]
    const region = REGIONS[rng.int(REGIONS.length)]!
    const age = Math.round(Math.min(85, Math.max(18, 42 + rng.normal() * 13)))
    const tenureDays = Math.round(30 + rng.next() ** 1.6 * 2200)
    const signup = snapshot - tenureDays * DAY_MS
    const fee = plan === 'basic' ? 9.99 : plan === 'standard' ? 19.99 : 39.99
    // Latent engagement and a trend: disengaging customers buy less often lately.
    const engagement =
      Math.exp(rng.normal() * 0.6) * (plan === 'premium' ? 1.4 : plan === 'standard' ? 1.1 : 0.9)
    const trend = rng.next() < 0.28 ? -(0.4 + rng.next() * 0.55) : rng.normal() * 0.1
    const tickets = Math.min(12, Math.floor(-Math.log(1 - rng.next()) * (trend < 0 ? 1.6 : 0.7)))
    const failures = rng.next() < (trend < 0 ? 0.18 : 0.06) ? 1 + rng.int(3) : 0
    const ratePerDay = 0.12 * engagement
    let recentSpend = 0
    let lastTxn = Number.NaN
    const windowStart = Math.max(signup, snapshot - 180 * DAY_MS)
    for (let t = windowStart; t < snapshot; t += DAY_MS) {
      const age180 = (snapshot - t) / (180 * DAY_MS) // 1 at the window start, 0 at the snapshot
      const rate = Math.max(0.002, ratePerDay * (1 + trend * (1 - age180) * 1.6))
      let k = 0
      let p = Math.exp(-rate)
      let s = p
      const u = rng.next()
      while (u > s && k < 6) {
        k++
        p *= rate / k
        s += p
      }
      for (let j = 0; j < k; j++) {
        const when = t + rng.int(DAY_MS)
        const category =
          CATEGORIES[Math.min(CATEGORIES.length - 1, Math.floor(rng.next() ** 1.3 * CATEGORIES.length))]!
        const amount =
          Math.round(
            Math.exp(
              3 + rng.normal() * 0.8 + (category === 'travel' ? 1.5 : category === 'electronics' ? 1 : 0),
            ) * 100,
          ) / 100
        const channel = CHANNELS[rng.int(CHANNELS.length)]!
        txnLines.push(`${id},${isoTime(when)},${amount},${category},${channel}`)
        nTransactions++
        if (snapshot - when < 30 * DAY_MS) recentSpend += amount
        if (Number.isNaN(lastTxn) || when > lastTxn) lastTxn = when
      }
    }
    const daysSinceLast = Number.isNaN(lastTxn) ? 180 : (snapshot - lastTxn) / DAY_MS
    const logit =
      -2.2 +
      2.2 * Math.max(0, -trend) +
      0.025 * Math.min(daysSinceLast, 90) +
      0.35 * tickets +
      0.6 * failures -
      0.004 * Math.min(recentSpend, 400) -
      0.00045 * tenureDays +
      (plan === 'basic' ? 0.45 : plan === 'premium' ? -0.35 : 0) +
      (region === 'south' ? 0.25 : 0) -
      0.01 * (age - 42) +
      rng.normal() * 0.5
    const churned = rng.next() < 1 / (1 + Math.exp(-logit)) ? 'yes' : 'no'
    customerLines.push(
      `${id},${isoDate(signup)},${plan},${region},${age},${fee},${tickets},${failures},${isoDate(snapshot)},${churned}`,
    )
  }
  const customers = join(dir, 'customers.csv')
  const transactions = join(dir, 'transactions.csv')
  writeFileSync(customers, `${customerLines.join('\n')}\n`)
  writeFileSync(transactions, `${txnLines.join('\n')}\n`)
  return { customers, transactions, nCustomers, nTransactions }
}
