/**
 * Schemas of the monitoring API (/v1/monitor/*) in zod: the request validators, the handlers' types
 * and the OpenAPI document. Responses leave every field optional: their serializers (compiled from
 * these schemas by fast-json-stringify) must never refuse a reply.
 */
import { z } from 'zod'
import { jsonSchemaOf } from '../http/index.js'

const nullableNumber = z.number().nullable()
const windowText = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(s|m|h|d)$/)
  .describe('e.g. 15m, 1h, 24h, 7d')
const windowQueryZ = z.object({
  window: windowText.optional(),
  buckets: z.int().min(1).max(500).default(30),
  model: z.string().optional().describe('Only this served model.'),
})
export const windowQuery = jsonSchemaOf(windowQueryZ)
/** Every monitoring endpoint takes the admin bearer token (or the dashboard cookie). */
export const security = [{ bearer: [] }]

export const modelsResponse = jsonSchemaOf(
  z
    .object({
      models: z.array(
        z
          .object({
            name: z.string(),
            ref: z.string(),
            status: z.enum(['ready', 'loading']),
            servingVersion: z.int().nullable(),
            task: z.string().nullable(),
            latestVersion: z.int().nullable(),
            aliases: z.record(z.string(), z.int()),
            versions: z.array(
              z
                .object({
                  version: z.int(),
                  createdAt: z.string(),
                  createdBy: z.string(),
                  aliases: z.array(z.string()),
                  metrics: z.record(z.string(), z.number()),
                  runId: z.string().nullable(),
                  sizeBytes: z.int(),
                })
                .partial(),
            ),
          })
          .partial(),
      ),
    })
    .partial(),
)

const trafficBucket = z
  .object({
    start: z.number(),
    count: z.int(),
    p50: nullableNumber,
    p95: nullableNumber,
    p99: nullableNumber,
    fallbackShare: nullableNumber,
    defaultShare: nullableNumber,
  })
  .partial()
export const trafficResponse = jsonSchemaOf(
  z
    .object({
      start: z.number(),
      end: z.number(),
      bucketMs: z.number(),
      models: z.array(
        z
          .object({
            name: z.string(),
            total: trafficBucket,
            variants: z.record(z.string(), z.int()),
            buckets: z.array(trafficBucket),
          })
          .partial(),
      ),
    })
    .partial(),
)

const featureDrift = z
  .object({
    feature: z.string(),
    kind: z.string(),
    test: z.string(),
    statistic: z.number(),
    pValue: z.number(),
    threshold: z.number(),
    drifted: z.boolean(),
    psi: z.number(),
    referenceMissingShare: z.number(),
    currentMissingShare: z.number(),
    missingShareChanged: z.boolean(),
    unseenCategories: z.array(z.string()),
    currentCount: z.int(),
  })
  .partial()
/** The verdict of a drift check, beside the older `datasetDrift` boolean. */
const verdictShape = {
  verdict: z
    .enum(['drift', 'no_drift', 'insufficient_data'])
    .describe("'insufficient_data': fewer than minRows rows in the window, no tests were run."),
  rule: z.enum(['share', 'weighted', 'prediction', 'any']),
  weightedShare: z.number().describe('Importance-weighted share of drifted features.'),
  predictionDrift: z.boolean(),
  reason: z.string(),
  minRows: z.int(),
}
const check = z
  .object({
    checkId: z.string(),
    ts: z.number(),
    version: z.int(),
    source: z.string(),
    currentRows: z.int(),
    driftedShare: z.number(),
    shareThreshold: z.number(),
    datasetDrift: z.boolean(),
    ...verdictShape,
    weighting: z.string(),
    weights: z.record(z.string(), z.number()),
    features: z.array(featureDrift),
    prediction: featureDrift.nullable(),
  })
  .partial()
  .nullable()
export const driftResponse = jsonSchemaOf(
  z
    .object({
      models: z.array(
        z
          .object({
            name: z.string(),
            latest: check,
            history: z
              .object({
                ts: z.array(z.number()),
                driftedShare: z.array(z.number()),
                weightedShare: z.array(z.number()),
                datasetDrift: z.array(z.boolean()),
                features: z.record(
                  z.string(),
                  z
                    .object({
                      test: z.string(),
                      threshold: z.number(),
                      statistic: z.array(nullableNumber),
                      psi: z.array(nullableNumber),
                      drifted: z.array(z.boolean().nullable()),
                    })
                    .partial(),
                ),
              })
              .partial()
              .describe('Checks oldest first: parallel arrays per check, and per feature.'),
          })
          .partial(),
      ),
    })
    .partial(),
)
const driftQueryZ = z.object({ model: z.string().optional(), limit: z.int().min(1).max(1000).default(100) })

const histogram = z
  .object({ rows: z.int(), missing: z.int(), counts: z.array(z.number()), shares: z.array(z.number()) })
  .partial()
export const featureResponse = jsonSchemaOf(
  z
    .object({
      model: z.string(),
      version: z.int(),
      feature: z.string(),
      kind: z.string(),
      window: z.string(),
      labels: z.array(z.string()).describe('Bin ranges or category levels.'),
      lower: z.array(z.number()).describe('Numeric: bin lower bounds.'),
      upper: z.array(z.number()),
      reference: histogram,
      current: histogram,
      unseen: z.array(z.string()),
      drift: featureDrift.nullable(),
    })
    .partial(),
)
const featureParamsZ = z.object({ name: z.string(), feature: z.string() })
const featureQueryZ = z.object({ window: windowText.optional() })

export const performanceResponse = jsonSchemaOf(
  z
    .object({
      start: z.number(),
      end: z.number(),
      models: z.array(
        z
          .object({
            name: z.string(),
            metric: z.string().nullable(),
            validation: nullableNumber.describe("The model's metric at training time, on validationSplit."),
            validationSplit: z
              .string()
              .nullable()
              .describe("'test' (held-out part) or 'cv' (cross-validated); never a training-set score."),
            labelled: z.int(),
            points: z.array(
              z
                .object({
                  start: z.number(),
                  end: z.number(),
                  count: z.int(),
                  metric: z.string(),
                  value: z.number(),
                  lower: z.number(),
                  upper: z.number(),
                })
                .partial(),
            ),
          })
          .partial(),
      ),
    })
    .partial(),
)

export const alertsResponse = jsonSchemaOf(
  z
    .object({
      alerts: z.array(
        z
          .object({
            id: z.string(),
            model: z.string(),
            kind: z.string(),
            openedAt: z.number(),
            closedAt: nullableNumber,
            message: z.string(),
          })
          .partial(),
      ),
    })
    .partial(),
)
const alertsQueryZ = z.object({ limit: z.int().min(1).max(500).default(50) })

export const experimentsResponse = jsonSchemaOf(
  z
    .object({
      experiments: z.array(
        z
          .object({
            id: z.string(),
            model: z.string(),
            status: z.string(),
            verdict: z.string().nullable(),
            report: z.looseObject({}).nullable().describe('The A/B report (see keel ab report --json).'),
            error: z.string(),
          })
          .partial(),
      ),
    })
    .partial(),
)

const checkBodyZ = z.object({ model: z.string().optional() }).nullable()
export const checkResponse = jsonSchemaOf(
  z
    .object({
      checks: z.array(
        z
          .object({
            checkId: z.string(),
            name: z.string(),
            version: z.int(),
            source: z.string(),
            currentRows: z.int(),
            driftedShare: z.number(),
            datasetDrift: z.boolean(),
            ...verdictShape,
            drifted: z.array(z.string()),
          })
          .partial(),
      ),
    })
    .partial(),
)

/** Query of the traffic and performance views. */
export type WindowQuery = z.output<typeof windowQueryZ>
export const driftQuery = jsonSchemaOf(driftQueryZ)
export type DriftQuery = z.output<typeof driftQueryZ>
export const featureParams = jsonSchemaOf(featureParamsZ)
export type FeatureParams = z.output<typeof featureParamsZ>
export const featureQuery = jsonSchemaOf(featureQueryZ)
export type FeatureQuery = z.output<typeof featureQueryZ>
export const alertsQuery = jsonSchemaOf(alertsQueryZ)
export type AlertsQuery = z.output<typeof alertsQueryZ>
export const checkBody = jsonSchemaOf(checkBodyZ)
export type CheckBody = z.output<typeof checkBodyZ>
