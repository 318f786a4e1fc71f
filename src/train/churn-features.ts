import { DuckDBInstance } from '@duckdb/node-api'

/**
 * Builds the churn training table from the two raw files with DuckDB SQL: one row per customer,
 * with transaction-history aggregates computed only from transactions strictly before the
 * customer's snapshot date (no leakage from the outcome window).
 */
export async function buildChurnFeatures(
  files: { customers: string; transactions: string },
  outPath: string,
): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:')
  const con = await instance.connect()
  const lit = (s: string): string => `'${s.replaceAll("'", "''")}'`
  try {
    await con.run(`
      create table customers as select * from read_csv(${lit(files.customers)}, header = true, auto_detect = true, types = {'churned': 'VARCHAR'});
      create table txns as select * from read_csv(${lit(files.transactions)}, header = true, auto_detect = true);
      create table features as
      with hist as (
        select c.customer_id, t.ts, t.amount, t.category,
               date_diff('day', t.ts, c.snapshot_date::timestamp) as age_days
        from customers c join txns t on t.customer_id = c.customer_id
        where t.ts < c.snapshot_date::timestamp
      ),
      agg as (
        select customer_id,
          count(*) filter (where age_days < 30) as txn_count_30d,
          count(*) filter (where age_days < 90) as txn_count_90d,
          count(*) as txn_count_180d,
          round(coalesce(sum(amount) filter (where age_days < 30), 0), 2) as spend_30d,
          round(coalesce(sum(amount) filter (where age_days < 90), 0), 2) as spend_90d,
          round(sum(amount), 2) as spend_180d,
          round(avg(amount), 2) as mean_amount,
          round(stddev_samp(amount), 2) as std_amount,
          min(age_days) as days_since_last_txn,
          count(distinct category) as n_categories
        from hist group by customer_id
      )
      select c.customer_id, c.plan, c.region, c.age, c.monthly_fee, c.support_tickets_90d, c.payment_failures_90d,
        date_diff('day', c.signup_date::date, c.snapshot_date::date) as tenure_days,
        coalesce(a.txn_count_30d, 0) as txn_count_30d,
        coalesce(a.txn_count_90d, 0) as txn_count_90d,
        coalesce(a.txn_count_180d, 0) as txn_count_180d,
        coalesce(a.spend_30d, 0) as spend_30d,
        coalesce(a.spend_90d, 0) as spend_90d,
        coalesce(a.spend_180d, 0) as spend_180d,
        a.mean_amount, a.std_amount, a.days_since_last_txn,
        coalesce(a.n_categories, 0) as n_categories,
        -- recent activity relative to the 180-day rate: < 1 means slowing down
        case when coalesce(a.txn_count_180d, 0) = 0 then null
             else round(a.txn_count_30d * 6.0 / a.txn_count_180d, 4) end as activity_trend,
        c.churned
      from customers c left join agg a on a.customer_id = c.customer_id
      order by c.customer_id;
      copy features to ${lit(outPath)} (header, delimiter ',');
    `)
    const reader = await con.runAndReadAll('select count(*)::integer as n from features')
    return Number(reader.getRowObjectsJS()[0]?.n ?? 0)
  } finally {
    con.closeSync()
    instance.closeSync()
  }
}
