import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { isAppError } from '../core/index.js'
import { isClassifier, loadModel } from '../models/index.js'
import type { OnnxGraphClassifier, OnnxGraphModel } from '../models/onnx/index.js'
import { columnOf, errorModel, loadFixture, maxAbsDiff } from '../models/onnx/test-utils/fixtures.js'
import { importOnnx, OnnxImportError, readOnnxHeader } from './onnx.js'
import type { ImportedModel } from './types.js'

const TOLERANCE = 1e-5

/** Imported models hold a worker thread each: closed at the end. */
const opened: OnnxGraphModel[] = []
after(async () => {
  await Promise.all(opened.map((m) => m.close()))
})

async function imported(
  bytes: Uint8Array,
  options: Parameters<typeof importOnnx>[1],
): Promise<ImportedModel> {
  const result = await importOnnx(bytes, options)
  opened.push(result.model as OnnxGraphModel)
  return result
}

async function rejects(
  bytes: Uint8Array,
  options: Parameters<typeof importOnnx>[1],
  problem: 'IMPORT_INVALID' | 'IMPORT_UNSUPPORTED',
  pattern: RegExp,
): Promise<void> {
  await assert.rejects(importOnnx(bytes, options), (e: unknown) => {
    assert.ok(e instanceof OnnxImportError, `expected OnnxImportError, got ${String(e)}`)
    assert.ok(isAppError(e))
    assert.equal(e.code, e.problem)
    assert.equal(e.problem, problem, e.message)
    assert.equal(e.details.problem, problem)
    assert.match(e.message, pattern)
    return true
  })
}

describe('importOnnx: parity with the producer', () => {
  test('PyTorch binary MLP with --logits: P(positive) within 1e-5 of torch, producer from the file', async () => {
    const f = loadFixture('mlp_binary')
    const result = await imported(f.bytes, {
      task: 'binary',
      logits: true,
      featureNames: f.meta.featureNames,
    })
    assert.equal(result.format, 'onnx')
    assert.equal(result.producer, 'pytorch 1.13.0')
    assert.equal(result.task, 'binary')
    assert.equal(result.nClasses, 2)
    assert.deepEqual(result.featureNames, f.meta.featureNames)
    assert.equal(result.namedFeatures, false)
    assert.ok(result.notes.some((n) => /logit of the positive class/.test(n)))
    const model = result.model as OnnxGraphClassifier
    assert.equal((model as OnnxGraphModel).spec.output.kind, 'logit')
    const p1 = columnOf(model.predictProba(f.x), 1)
    assert.ok(maxAbsDiff(p1, f.expected.p1!) <= TOLERANCE)
  })

  test('--logits alone reads a one-column output as a binary logit', async () => {
    const f = loadFixture('mlp_binary')
    const result = await imported(f.bytes, { logits: true })
    assert.equal(result.task, 'binary')
    assert.deepEqual(result.featureNames.slice(0, 2), ['f0', 'f1'])
    assert.equal(result.featureNames.length, 30)
  })

  test('3-class PyTorch MLP: task inferred from 3 columns', async () => {
    const f = loadFixture('mlp_multiclass')
    const result = await imported(f.bytes, {})
    assert.equal(result.task, 'multiclass')
    assert.equal(result.nClasses, 3)
    const proba = (result.model as OnnxGraphClassifier).predictProba(f.x)
    for (let c = 0; c < 3; c++) assert.ok(maxAbsDiff(columnOf(proba, c), f.expected[`p${c}`]!) <= TOLERANCE)
  })

  test('regression MLP with task regression', async () => {
    const f = loadFixture('mlp_regression')
    const result = await imported(f.bytes, { task: 'regression' })
    assert.equal(result.task, 'regression')
    assert.equal(result.nClasses, undefined)
    assert.equal(isClassifier(result.model), false)
    const values = result.model.predict(f.x)
    for (let i = 0; i < values.length; i++) {
      const want = f.expected.value![i]!
      assert.ok(Math.abs(values[i]! - want) / Math.max(1, Math.abs(want)) <= TOLERANCE)
    }
  })

  test('TreeEnsembleClassifier: reads the probabilities tensor (not the labels) as [negative, positive]', async () => {
    const f = loadFixture('tree_ensemble')
    const result = await imported(f.bytes, { featureNames: f.meta.featureNames })
    assert.equal(result.producer, 'keel-fixtures 1.0')
    assert.equal(result.task, 'binary')
    assert.deepEqual((result.model as OnnxGraphModel).spec.output, {
      kind: 'two-column',
      name: 'probabilities',
      logits: false,
    })
    assert.ok(result.notes.some((n) => /ai\.onnx\.ml 1/.test(n)))
    const proba = (result.model as OnnxGraphClassifier).predictProba(f.x)
    assert.ok(maxAbsDiff(columnOf(proba, 1), f.expected.p1!) <= TOLERANCE)
    assert.deepEqual([...result.model.predict(f.x)], [...f.expected.prediction!])
  })

  test('the imported model round-trips through its artifact', async () => {
    const f = loadFixture('tree_ensemble')
    const result = await imported(f.bytes, {})
    const loaded = loadModel(JSON.parse(JSON.stringify(result.model.toArtifact()))) as OnnxGraphClassifier
    try {
      assert.deepEqual(
        [...loaded.predictProba(f.x).data],
        [...(result.model as OnnxGraphClassifier).predictProba(f.x).data],
      )
    } finally {
      await loaded.close()
    }
  })
})

describe('importOnnx: refused files', () => {
  test('not an ONNX file', async () => {
    await rejects(
      new TextEncoder().encode('hello, world\n1,2,3\n'),
      {},
      'IMPORT_INVALID',
      /not an ONNX model/,
    )
    await rejects(new Uint8Array([0x08]), {}, 'IMPORT_INVALID', /not an ONNX model/)
  })

  test('a protobuf onnxruntime cannot load: IMPORT_INVALID with onnxruntime’s message', async () => {
    // ir_version 7 and an empty graph field: passes the header check, not onnxruntime
    const bytes = new Uint8Array([0x08, 0x07, 0x3a, 0x00])
    await rejects(bytes, {}, 'IMPORT_INVALID', /onnxruntime cannot load the model: /)
  })

  test('two inputs', async () => {
    await rejects(
      errorModel('two_inputs.onnx'),
      {},
      'IMPORT_UNSUPPORTED',
      /2 inputs \(a: float32\[\?, 2\]; b/,
    )
  })

  test('a string input', async () => {
    await rejects(
      errorModel('string_input.onnx'),
      {},
      'IMPORT_UNSUPPORTED',
      /input text: string.*not a float tensor/,
    )
  })

  test('a ZipMap output: export with zipmap=False', async () => {
    await rejects(errorModel('zipmap.onnx'), {}, 'IMPORT_UNSUPPORTED', /ZipMap.*'zipmap': False/)
  })

  test('one output column without a task', async () => {
    await rejects(
      loadFixture('mlp_regression').bytes,
      {},
      'IMPORT_INVALID',
      /one column.*--task binary\|regression/,
    )
  })

  test('feature names that do not match the tensor width', async () => {
    await rejects(
      loadFixture('mlp_multiclass').bytes,
      { featureNames: ['a', 'b'] },
      'IMPORT_INVALID',
      /takes 13 feature columns, but 2/,
    )
  })

  test('a task or class count the output contradicts', async () => {
    const bytes = loadFixture('mlp_multiclass').bytes
    await rejects(bytes, { task: 'binary' }, 'IMPORT_INVALID', /3 column\(s\).*Use task multiclass/)
    await rejects(bytes, { nClasses: 4 }, 'IMPORT_INVALID', /3 classes, but nClasses is 4/)
  })
})

describe('readOnnxHeader', () => {
  test('reads producer, IR version and opsets without onnxruntime', () => {
    const header = readOnnxHeader(loadFixture('tree_ensemble').bytes)
    assert.equal(header.producerName, 'keel-fixtures')
    assert.equal(header.producerVersion, '1.0')
    assert.equal(header.irVersion, 8)
    assert.deepEqual(
      [...header.opsets],
      [
        ['', 13],
        ['ai.onnx.ml', 1],
      ],
    )
  })
})
