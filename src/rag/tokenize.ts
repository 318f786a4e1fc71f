// English stop words: frequent function words that carry no topic and would only add noise to
// BM25 and to the LSA vocabulary.
const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by can could do does did for from had has have how i if in into is it its ' +
    'just may me might more most my no not of on or our out over own so some such than that the their them then ' +
    'there these they this those to too up us very was we were what when where which while who whom why will with ' +
    'would you your yours about after again all also am any because before being below between both during each ' +
    'few further he her here hers him his itself let myself nor off once only other ought ours same she should ' +
    'through under until doing down s t don via use used using'
  ).split(' '),
)

/**
 * A light suffix stemmer (plural and verb endings only). Deliberately conservative: it must map
 * "models"/"model" and "retries"/"retry" together without merging unrelated words.
 */
export function stem(word: string): string {
  if (word.length <= 3) return word
  const last = word.charCodeAt(word.length - 1)
  // Only words ending in s, g or d can lose a suffix below; skip the rest (and numbers) fast.
  if (last !== 115 && last !== 103 && last !== 100) return word
  if (/\d/.test(word)) return word
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`
  if (word.endsWith('sses')) return word.slice(0, -2)
  if (word.endsWith('ing') && word.length > 5) return word.slice(0, -3)
  if (word.endsWith('ed') && word.length > 4 && !word.endsWith('eed')) return word.slice(0, -2)
  if (word.endsWith('es') && /(ch|sh|x|z)es$/.test(word)) return word.slice(0, -2)
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is'))
    return word.slice(0, -1)
  return word
}

/**
 * Lower-cased, stemmed terms without stop words: the single tokenizer both BM25 and LSA use, so
 * lexical and dense retrieval see the same vocabulary. Identifiers keep their inner dots, dashes
 * and underscores split into parts plus the whole ("keel_llm_model" → keel, llm, model, keel_llm_model).
 */
export function ragTokenize(text: string): string[] {
  const out: string[] = []
  const raw = text.toLowerCase().match(/[\p{L}\p{N}]+(?:[_\-.][\p{L}\p{N}]+)*/gu)
  if (raw === null) return out
  for (const token of raw) {
    if (token.includes('_') || token.includes('-') || token.includes('.')) {
      if (token.length <= 40) out.push(token)
      for (const part of token.split(/[_\-.]+/)) pushTerm(out, part)
    } else pushTerm(out, token)
  }
  return out
}

function pushTerm(out: string[], word: string): void {
  if (word.length < 2 || word.length > 40 || STOP_WORDS.has(word)) return
  out.push(stem(word))
}

/** Rough token count for chunk budgets (about four characters per token, as for English BPE). */
export function approxTokens(text: string): number {
  return Math.ceil(text.length / 4)
}
