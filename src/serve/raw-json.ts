/**
 * Finds the JSON text of the rows inside a predict request's body, so the prediction log can store
 * each row as the client sent it instead of stringifying the parsed row again (which was the largest
 * cost of logging). Runs only on bodies that `JSON.parse` accepted, so the text is valid JSON and
 * brackets match; anything this scanner does not expect makes it give up (undefined), and the caller
 * stringifies instead.
 */

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const BOM = 0xfeff

function skipWhitespace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i)
    // JSON whitespace: space, tab, line feed, carriage return.
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++
    else return i
  }
}

/** Index just past the string whose opening quote is at `i`, or -1. */
function skipString(text: string, i: number): number {
  // A plain loop: the strings of a row are short keys, where an indexOf call costs more than it saves.
  const n = text.length
  for (let j = i + 1; j < n; j++) {
    const c = text.charCodeAt(j)
    if (c === BACKSLASH) j++
    else if (c === QUOTE) return j + 1
  }
  return -1
}

/**
 * An object with no object or array inside (outside strings): what a row is. A sticky regular
 * expression runs as native code, about twice as fast as the character loop below. It is written as
 * an unrolled loop, `normal* (string normal*)*`, where a string starts with a quote and a normal
 * character is never one: no two ways to match the same text, so a failed match (a nested object)
 * backtracks linearly, never exponentially.
 */
const FLAT_OBJECT = /\{[^"{}[\]]*(?:"[^"\\]*(?:\\.[^"\\]*)*"[^"{}[\]]*)*\}/y

/** Index just past the value starting at `i` (no leading whitespace), or -1. */
function skipValue(text: string, i: number): number {
  const n = text.length
  const c = text.charCodeAt(i)
  if (c === QUOTE) return skipString(text, i)
  if (c === OPEN_BRACE) {
    FLAT_OBJECT.lastIndex = i
    if (FLAT_OBJECT.test(text)) return FLAT_OBJECT.lastIndex
  }
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    // Each character is looked at once; strings are skipped inline (their brackets do not count).
    let depth = 0
    for (let j = i; j < n; j++) {
      const d = text.charCodeAt(j)
      if (d === QUOTE) {
        for (j++; j < n; j++) {
          const e = text.charCodeAt(j)
          if (e === BACKSLASH) j++
          else if (e === QUOTE) break
        }
      } else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--
        if (depth === 0) return j + 1
      }
    }
    return -1
  }
  // A number, true, false or null: runs to the next delimiter or whitespace.
  let j = i
  for (; j < n; j++) {
    const d = text.charCodeAt(j)
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || d <= 0x20) break
  }
  return j > i ? j : -1
}

/** The texts of the elements of the array starting at `i`, and the index just past it; undefined if malformed. */
function arrayElements(text: string, i: number): { texts: string[]; end: number } | undefined {
  const texts: string[] = []
  i = skipWhitespace(text, i + 1)
  if (text.charCodeAt(i) === CLOSE_BRACKET) return { texts, end: i + 1 }
  for (;;) {
    const valueEnd = skipValue(text, i)
    if (valueEnd < 0) return undefined
    texts.push(text.slice(i, valueEnd))
    i = skipWhitespace(text, valueEnd)
    const c = text.charCodeAt(i)
    if (c === CLOSE_BRACKET) return { texts, end: i + 1 }
    if (c !== COMMA) return undefined
    i = skipWhitespace(text, i + 1)
  }
}

/**
 * Walks the top-level object of `text` and returns the text of the value of `key` (the last one when
 * the key repeats, as `JSON.parse` keeps the last), split into its elements when `asArray` is set
 * (and the value is an array). Undefined when absent, malformed, or when a top-level key has an
 * escape (it might spell `key`).
 */
function topLevelValue(text: string, key: string, asArray: boolean): string[] | undefined {
  let i = skipWhitespace(text, text.charCodeAt(0) === BOM ? 1 : 0)
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined
  i = skipWhitespace(text, i + 1)
  if (text.charCodeAt(i) === CLOSE_BRACE) return undefined
  let found: string[] | undefined
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return undefined
    const keyEnd = skipString(text, i)
    if (keyEnd < 0) return undefined
    // Compared in place: no slice per key.
    const isKey = keyEnd - i - 2 === key.length && text.startsWith(key, i + 1)
    if (!isKey && text.lastIndexOf('\\', keyEnd - 2) > i) return undefined
    i = skipWhitespace(text, keyEnd)
    if (text.charCodeAt(i) !== COLON) return undefined
    i = skipWhitespace(text, i + 1)
    let valueEnd: number
    if (isKey && asArray && text.charCodeAt(i) === OPEN_BRACKET) {
      // The elements are collected in the same pass that skips the array.
      const elements = arrayElements(text, i)
      if (elements === undefined) return undefined
      found = elements.texts
      valueEnd = elements.end
    } else {
      valueEnd = skipValue(text, i)
      if (valueEnd < 0) return undefined
      if (isKey) found = asArray ? undefined : [text.slice(i, valueEnd)]
    }
    i = skipWhitespace(text, valueEnd)
    const c = text.charCodeAt(i)
    if (c === CLOSE_BRACE) return found
    if (c !== COMMA) return undefined
    i = skipWhitespace(text, i + 1)
  }
}

/**
 * The JSON text of `features` (one row) in a predict body, or undefined when it cannot be found
 * exactly. `JSON.parse` of the result equals the parsed body's `features`.
 */
export function featuresText(body: string): string | undefined {
  const found = topLevelValue(body, 'features', false)?.[0]
  return found !== undefined && found.charCodeAt(0) === OPEN_BRACE ? found : undefined
}

/**
 * The JSON text of each element of `rows` (a batch) in a predict body, in order, or undefined when
 * they cannot be found exactly. `JSON.parse` of element i equals the parsed body's `rows[i]`.
 */
export function rowTexts(body: string): string[] | undefined {
  return topLevelValue(body, 'rows', true)
}
