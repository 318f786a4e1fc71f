import { writeFileSync } from 'node:fs'
import { type ReportData, renderReport } from '../eval/index.js'
import { openTrackingStore } from '../track/index.js'
import { REPORT_DATA_ARTIFACT } from './run.js'

/** Renders the HTML report of a recorded run to `outputPath` (one self-contained file). */
export async function writeRunReport(
  runId: string,
  outputPath: string,
  storeUrl?: string,
): Promise<{ bytes: number }> {
  const store = await openTrackingStore(storeUrl)
  let data: ReportData
  try {
    await store.getRun(runId)
    const raw = await store.getArtifact(runId, REPORT_DATA_ARTIFACT)
    data = JSON.parse(Buffer.from(raw).toString('utf8')) as ReportData
  } finally {
    await store.close()
  }
  const html = renderReport(data)
  writeFileSync(outputPath, html)
  return { bytes: Buffer.byteLength(html) }
}
