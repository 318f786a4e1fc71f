import assert from 'node:assert/strict'
import { test } from 'node:test'
import { redactPaths } from './redact.js'

test('redactPaths removes filesystem paths and keeps URLs, routes and media types', () => {
  const cases: [string, string][] = [
    [
      "No RAG collection 'x' under /home/app/.keel/rag (found: a).",
      "No RAG collection 'x' under <path> (found: a).",
    ],
    [
      "ENOENT: no such file or directory, open '/srv/keel/artifacts/a.bin'",
      "ENOENT: no such file or directory, open '<path>'",
    ],
    ['Cannot read /tmp/k/rag/x/manifest.json: bad JSON', 'Cannot read <path>: bad JSON'],
    ['at file:///work/main/src/x.ts:3:4', 'at <path>'],
    ['C:\\Users\\me\\model.onnx not found', '<path> not found'],
    ['see ~/keel/models', 'see <path>'],
    // Not paths: left alone.
    ['Unsupported Media Type: text/plain', 'Unsupported Media Type: text/plain'],
    ['connect ECONNREFUSED http://127.0.0.1:9/v1/chat', 'connect ECONNREFUSED http://127.0.0.1:9/v1/chat'],
    ['GET /health', 'GET /health'],
    [
      "No experiment 'x'. List them with GET /v1/admin/experiments.",
      "No experiment 'x'. List them with GET /v1/admin/experiments.",
    ],
    ['rows × features over 1000', 'rows × features over 1000'],
  ]
  for (const [input, expected] of cases) assert.equal(redactPaths(input), expected, input)
})
