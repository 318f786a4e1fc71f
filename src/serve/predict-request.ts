/**
 * The predict request as the predictor sees it, and the request-envelope helpers the predict route
 * uses: the request key, the envelope error, and the request's own JSON text of each row (so a row
 * validated as sent is logged without re-encoding).
 */
import { BadRequestError } from '../http/errors.js'
import type { FeatureRow } from '../pipeline/servable.js'
import { featuresText, rowTexts } from './raw-json.js'

/** What one predict call needs from the HTTP layer. */
export interface PredictRequest {
  readonly rows: readonly Readonly<Record<string, unknown>>[]
  readonly isBatch: boolean
  /** The body's JSON text when the HTTP layer kept it: rows validated as sent are logged as their own text. */
  readonly bodyText?: string | undefined
  readonly requestKey: string | undefined
  readonly explainTop: number | undefined
}

/** Labels of the request for metrics (filled as routing progresses). */
export interface RequestLabels {
  model: string
  version: string
  variant: string
}

/**
 * The request's own JSON text of each row that validation passed through unchanged (`rows[i]` is the
 * request's row object itself), undefined for the others; undefined when the text is not at hand.
 */
export function sentRowTexts(
  request: PredictRequest,
  rows: readonly FeatureRow[],
): readonly (string | undefined)[] | undefined {
  const body = request.bodyText
  if (body === undefined) return undefined
  let anySent = false
  for (let i = 0; i < rows.length && !anySent; i++) anySent = rows[i] === request.rows[i]
  if (!anySent) return undefined
  let texts: (string | undefined)[] | undefined
  if (request.isBatch) texts = rowTexts(body)
  else {
    const text = featuresText(body)
    texts = text === undefined ? undefined : [text]
  }
  if (texts === undefined || texts.length !== rows.length) return undefined
  for (let i = 0; i < rows.length; i++) if (rows[i] !== request.rows[i]) texts[i] = undefined
  return texts
}

/** Reads the request key: header first, then `requestKey` in the body, then the experiment's key field. */
export function requestKeyOf(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: { requestKey?: unknown; features?: unknown; rows?: unknown },
  headerName: string,
  keyField: string | undefined,
): string | undefined {
  const h = headers[headerName.toLowerCase()]
  if (typeof h === 'string' && h !== '') return h
  if (typeof body.requestKey === 'string' && body.requestKey !== '') return body.requestKey
  if (keyField === undefined) return undefined
  const row = (body.features ?? (Array.isArray(body.rows) ? body.rows[0] : undefined)) as
    | Record<string, unknown>
    | undefined
  const v = row?.[keyField]
  if (typeof v === 'string' && v !== '') return v
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return undefined
}

/** Raised for a body with neither or both of `features` and `rows`. */
export function envelopeError(): BadRequestError {
  return new BadRequestError(
    'Send exactly one of {"features": {...}} for one row or {"rows": [{...}, ...]} for a batch.',
  )
}
