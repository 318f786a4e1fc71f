import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { after, describe, test } from 'node:test'
import { artifactFromBytes, artifactToBytes, isAppError } from '../../core/index.js'
import { isClassifier } from '../estimator.js'
import { loadModel } from '../load.js'
import {
  type OnnxGraphClassifier,
  type OnnxGraphModel,
  type OnnxGraphSpec,
  type OnnxOutputKind,
  openOnnxGraph,
} from './index.js'
import { columnOf, loadFixture, maxAbsDiff, type OnnxFixture } from './test-utils/fixtures.js'

const ROOT = resolve(import.meta.dirname, '../../..')
const TOLERANCE = 1e-5

/** Every model a test opens, closed at the end (each holds a worker thread). */
const opened: OnnxGraphModel[] = []
after(async () => {
  await Promise.all(opened.map((m) => m.close()))
})

const KIND_OF: Readonly<Record<string, OnnxOutputKind>> = {
  mlp_binary: 'logit',
  mlp_multiclass: 'class-probabilities',
  mlp_regression: 'value',
  tree_ensemble: 'two-column',
}

function specOf(name: string, fixture: OnnxFixture): OnnxGraphSpec {
  const { meta } = fixture
  return {
    model: fixture.bytes,
    inputName: meta.inputName,
    inputType: 'float32',
    inputRank: 2,
    rowAtATime: false,
    featureNames: meta.featureNames,
    task: meta.task,
    nClasses: meta.task === 'regression' ? 0 : (meta.nClasses ?? 2),
    output: { kind: KIND_OF[name]!, name: meta.output, logits: false },
    producer: 'fixture',
  }
}

function open(name: string): { model: OnnxGraphModel; fixture: OnnxFixture } {
  const fixture = loadFixture(name)
  const model = openOnnxGraph(specOf(name, fixture))
  opened.push(model)
  return { model, fixture }
}

function expectCode(code: string, pattern?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(isAppError(e), `expected an AppError, got ${String(e)}`)
    assert.equal(e.code, code, e.message)
    if (pattern !== undefined) assert.match(e.message, pattern)
    return true
  }
}

describe('ONNX graph models: parity with the producer', () => {
  test('PyTorch binary MLP (one logit column): P(positive) and classes', () => {
    const { model, fixture } = open('mlp_binary')
    assert.ok(isClassifier(model))
    const proba = (model as OnnxGraphClassifier).predictProba(fixture.x)
    assert.equal(proba.cols, 2)
    const err = maxAbsDiff(columnOf(proba, 1), fixture.expected.p1!)
    assert.ok(err <= TOLERANCE, `max |p1 - torch| = ${err}`)
    assert.ok(
      maxAbsDiff(
        columnOf(proba, 0),
        fixture.expected.p1!.map((p) => 1 - p),
      ) <= TOLERANCE,
    )
    assert.deepEqual([...model.predict(fixture.x)], [...fixture.expected.prediction!])
    // raw() is the logit itself, before the sigmoid
    assert.ok(maxAbsDiff(model.raw(fixture.x), fixture.expected.logit!) <= 1e-4)
  })

  test('PyTorch 3-class MLP (softmax in the graph): class probabilities', () => {
    const { model, fixture } = open('mlp_multiclass')
    const proba = (model as OnnxGraphClassifier).predictProba(fixture.x)
    assert.equal(proba.cols, 3)
    for (let c = 0; c < 3; c++) {
      const err = maxAbsDiff(columnOf(proba, c), fixture.expected[`p${c}`]!)
      assert.ok(err <= TOLERANCE, `class ${c}: max error ${err}`)
    }
    assert.deepEqual([...model.predict(fixture.x)], [...fixture.expected.prediction!])
  })

  test('PyTorch regression MLP: values', () => {
    const { model, fixture } = open('mlp_regression')
    assert.equal(isClassifier(model), false)
    const values = model.predict(fixture.x)
    // targets are in the hundreds: compare relative to the scale
    const err = maxAbsDiff(values, fixture.expected.value!)
    assert.ok(err <= TOLERANCE * 300, `max error ${err}`)
    for (let i = 0; i < values.length; i++) {
      const rel =
        Math.abs(values[i]! - fixture.expected.value![i]!) /
        Math.max(1, Math.abs(fixture.expected.value![i]!))
      assert.ok(rel <= TOLERANCE, `row ${i}: relative error ${rel}`)
    }
  })

  test('ai.onnx.ml TreeEnsembleClassifier: [negative, positive] columns against a Python tree walk', () => {
    const { model, fixture } = open('tree_ensemble')
    const proba = (model as OnnxGraphClassifier).predictProba(fixture.x)
    assert.ok(maxAbsDiff(columnOf(proba, 0), fixture.expected.p0!) <= TOLERANCE)
    assert.ok(maxAbsDiff(columnOf(proba, 1), fixture.expected.p1!) <= TOLERANCE)
    assert.deepEqual([...model.predict(fixture.x)], [...fixture.expected.prediction!])
  })

  test('one row at a time gives the batch results, and a wrong column count is refused', () => {
    const { model, fixture } = open('mlp_multiclass')
    const batch = model.raw(fixture.x)
    const cols = fixture.x.cols
    for (let i = 0; i < 5; i++) {
      const row = model.raw({ rows: 1, cols, data: fixture.x.data.subarray(i * cols, (i + 1) * cols) })
      assert.deepEqual([...row], [...batch.subarray(i * 3, (i + 1) * 3)])
    }
    assert.throws(
      () => model.predict({ rows: 1, cols: cols - 1, data: new Float64Array(cols - 1) }),
      expectCode('DATA_SHAPE_MISMATCH', new RegExp(`${cols}`)),
    )
  })
})

describe('ONNX graph models: artifacts', () => {
  test('toArtifact -> loadModel (JSON and binary) predicts identically', async () => {
    const { model, fixture } = open('mlp_binary')
    const expected = (model as OnnxGraphClassifier).predictProba(fixture.x).data
    const artifact = model.toArtifact()
    assert.equal(artifact.kind, 'onnx-graph')
    for (const copy of [JSON.parse(JSON.stringify(artifact)), artifactFromBytes(artifactToBytes(artifact))]) {
      const loaded = loadModel(copy) as OnnxGraphClassifier
      try {
        assert.equal(loaded.task, 'binary')
        assert.deepEqual(loaded.featureNames, fixture.meta.featureNames)
        assert.deepEqual([...loaded.predictProba(fixture.x).data], [...expected])
        assert.deepEqual(loaded.spec.output, model.spec.output)
      } finally {
        await loaded.close()
      }
    }
  })

  test('an artifact whose bytes are not a model fails with ARTIFACT_INVALID and onnxruntime’s reason', () => {
    const { model } = open('mlp_regression')
    const artifact = JSON.parse(JSON.stringify(model.toArtifact()))
    artifact.state.model = { dtype: 'u8', length: 4, base64: Buffer.from([1, 2, 3, 4]).toString('base64') }
    assert.throws(() => loadModel(artifact), expectCode('ARTIFACT_INVALID', /does not load: .*protobuf/i))
  })

  test('an artifact naming an output the graph lacks fails with ARTIFACT_INVALID', () => {
    const { model } = open('mlp_regression')
    const artifact = JSON.parse(JSON.stringify(model.toArtifact()))
    artifact.state.output.name = 'nope'
    assert.throws(
      () => loadModel(artifact),
      expectCode('ARTIFACT_INVALID', /no output 'nope'.*outputs: value/),
    )
    artifact.state.output = { kind: 'logit', name: 'value', logits: false }
    assert.throws(() => loadModel(artifact), expectCode('ARTIFACT_INVALID', /does not fit task 'regression'/))
  })
})

describe('ONNX graph models: the runtime thread', () => {
  test('close() stops the thread: later predictions fail with ONNX_RUNTIME_FAILED; closing twice is fine', async () => {
    const fixture = loadFixture('mlp_regression')
    const models = Array.from({ length: 4 }, () => openOnnxGraph(specOf('mlp_regression', fixture)))
    for (const m of models) assert.equal(m.predict(fixture.x).length, fixture.x.rows)
    await Promise.all(models.map((m) => m.close()))
    for (const m of models) {
      assert.equal(m.isClosed, true)
      assert.throws(() => m.predict(fixture.x), expectCode('ONNX_RUNTIME_FAILED', /closed/))
      await m.close()
    }
  })

  test('a session that does not start in time fails with ONNX_RUNTIME_FAILED instead of hanging', () => {
    const fixture = loadFixture('mlp_regression')
    const started = performance.now()
    assert.throws(
      () => openOnnxGraph(specOf('mlp_regression', fixture), { loadTimeoutMs: 1 }),
      expectCode('ONNX_RUNTIME_FAILED', /within 1 ms/),
    )
    assert.ok(performance.now() - started < 5000)
  })

  test('without onnxruntime-node installed: DEPENDENCY_MISSING with the install command', () => {
    const script = [
      "import { openOnnxGraph } from './src/models/onnx/index.ts'",
      'try {',
      "  openOnnxGraph({ model: new Uint8Array(8), inputName: 'x', inputType: 'float32', inputRank: 2, rowAtATime: false, featureNames: ['a'], task: 'regression', nClasses: 0, output: { kind: 'value', name: 'y', logits: false }, producer: '' })",
      "  console.log(JSON.stringify({ code: 'LOADED' }))",
      '} catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, package: e.details.package })) }',
    ].join('\n')
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        './test/helpers/hide-packages.mjs',
        '--input-type=module',
        '-e',
        script,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, KEEL_HIDE_PACKAGES: 'onnxruntime-node' },
        encoding: 'utf8',
        timeout: 60_000,
      },
    )
    assert.equal(result.status, 0, result.stderr)
    const outcome = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, string>
    assert.equal(outcome.code, 'DEPENDENCY_MISSING', JSON.stringify(outcome))
    assert.equal(outcome.package, 'onnxruntime-node')
    assert.match(outcome.message!, /ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1\.30\.0/)
  })
})
