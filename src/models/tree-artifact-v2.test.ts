import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { artifactFromBytes, artifactToBytes, matrix } from '../core/index.js'
import type { FittedModel } from './estimator.js'
import { FOREST_FORMAT_VERSION } from './forest/index.js'
import { GBDT_FORMAT_VERSION } from './gbdt/index.js'
import { loadModel } from './load.js'

/** Artifacts written by the format-1 code (before compact dtypes), with that code's predictions. */
interface Fixture {
  readonly x: (number | null)[]
  readonly rows: number
  readonly cols: number
  readonly [model: string]: unknown
}

const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/artifacts/trees-v1.json', import.meta.url), 'utf8'),
) as Fixture
const x = matrix(
  fixture.rows,
  fixture.cols,
  Float64Array.from(fixture.x, (v) => (v === null ? Number.NaN : v)),
)

function predictions(model: FittedModel): Float64Array {
  return 'predictProba' in model
    ? (model as FittedModel & { predictProba(x: unknown): { data: Float64Array } }).predictProba(x).data
    : model.predict(x)
}

describe('tree model artifacts, format 2 (compact dtypes)', () => {
  for (const key of ['rfc', 'rfr', 'gbc', 'gbr']) {
    it(`${key}: a format-1 artifact still loads and predicts exactly as the code that wrote it`, () => {
      const saved = fixture[key] as { artifact: { formatVersion: number }; prediction: number[] }
      assert.equal(saved.artifact.formatVersion, 1)
      const model = loadModel(saved.artifact)
      assert.deepEqual(Array.from(predictions(model)), saved.prediction)
    })

    it(`${key}: re-saved as format 2 it is smaller and predicts bit for bit the same`, () => {
      const saved = fixture[key] as { artifact: unknown }
      const v1 = loadModel(saved.artifact)
      const a2 = v1.toArtifact()
      assert.equal(a2.formatVersion, key.startsWith('rf') ? FOREST_FORMAT_VERSION : GBDT_FORMAT_VERSION)
      assert.ok(JSON.stringify(a2).length < JSON.stringify(saved.artifact).length, 'compact JSON is smaller')
      for (const back of [
        loadModel(JSON.parse(JSON.stringify(a2))),
        loadModel(artifactFromBytes(artifactToBytes(a2))),
      ]) {
        assert.deepEqual(Array.from(predictions(back)), Array.from(predictions(v1)))
        // saving again gives the same document: the encoding is canonical
        assert.equal(JSON.stringify(back.toArtifact()), JSON.stringify(a2))
      }
    })
  }
})
