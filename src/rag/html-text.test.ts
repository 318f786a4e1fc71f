import assert from 'node:assert/strict'
import { test } from 'node:test'
import { htmlToText } from './loaders.js'

// htmlToText parses with linkedom (node-html-parser was dropped): these pin the browser-like parse.

test('HTML entities are decoded in text, headings and the title', () => {
  const { text, title } = htmlToText(
    '<html><head><title>Q&amp;A</title></head><body><h2>Fees &amp; refunds</h2><p>5 &lt; 7 &eacute;t&#233;</p></body></html>',
  )
  assert.equal(title, 'Q&A')
  assert.equal(text, '## Fees & refunds\n\n5 < 7 été\n')
})

test('markup inside <pre> yields its text, with line breaks kept', () => {
  const { text } = htmlToText('<pre><span class="k">const</span> a = 1\n<b>return</b> a &lt; 2\n</pre>')
  assert.equal(text, 'const a = 1\nreturn a < 2\n')
})

test('a fragment without <html>/<body> is read whole; comments are skipped', () => {
  const { text, title } = htmlToText(
    '<h1>Guide</h1><!-- draft note --><p>Step one.</p><ul><li>a</li><li>b</li></ul>',
  )
  assert.equal(title, 'Guide')
  assert.equal(text, '# Guide\n\nStep one.\n\na\n\nb\n')
})
