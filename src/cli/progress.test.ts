import assert from 'node:assert/strict'
import { test } from 'node:test'
import { makeRowProgress } from './progress.js'

test('the row progress bar draws only on a terminal, with a bar once the total is known', async () => {
  const piped: string[] = []
  const quiet = makeRowProgress({ isTty: false, write: (t) => piped.push(t) })
  quiet.status('reading')
  quiet.setTotal(100)
  quiet.update(50)
  quiet.done()
  assert.deepEqual(piped, [], 'nothing is written to a pipe or a log')

  const shown: string[] = []
  const bar = makeRowProgress({ isTty: true, write: (t) => shown.push(t) })
  bar.status('reading x.csv...')
  assert.equal(shown.pop(), '\r\u001b[2Kreading x.csv...')
  bar.update(10)
  const clear = '\r\u001b[2K'
  assert.ok(shown.at(-1)!.startsWith(clear))
  assert.match(shown.at(-1)!.slice(clear.length), /^scored 10 rows, [\d,]+ rows\/s, [\d.]+s$/)
  bar.setTotal(2_000)
  await new Promise((resolve) => setTimeout(resolve, 120))
  bar.update(1_000)
  assert.match(shown.at(-1)!, /\[#{12}\.{12}\] 50% scored 1,000\/2,000 rows/)
  bar.update(1_500)
  assert.equal(shown.length, 2, 'redraws are throttled')
  bar.done()
  assert.equal(shown.at(-1), clear, 'the line is cleared at the end')
})
