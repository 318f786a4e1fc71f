import { createRequire } from 'node:module'

/** One metric family as parse-prometheus-text-format returns it. */
export interface PromMetric {
  name: string
  metrics: { labels?: Record<string, string>; value?: string }[]
}

/** Parses Prometheus text exposition (the dev dependency is CommonJS without types). */
export const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => PromMetric[]
