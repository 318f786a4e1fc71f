/**
 * Edit distance between two strings: insertions, deletions, substitutions and swaps of two adjacent
 * characters each cost 1 (optimal string alignment). Swaps count once because they are the most
 * common typo (`trian` for `train`).
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0
  if (a.length === 0) return b.length
  if (b.length === 0) return a.length
  // Three rolling rows: the swap rule looks two rows back.
  let before = new Array<number>(b.length + 1).fill(0)
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  let current = new Array<number>(b.length + 1).fill(0)
  for (let i = 1; i <= a.length; i++) {
    current[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, before[j - 2]! + 1)
      current[j] = d
    }
    ;[before, previous, current] = [previous, current, before]
  }
  return previous[b.length]!
}

/**
 * The candidate closest to `input`, or undefined when none is close enough to be a plausible typo.
 * Case is ignored (`pollIntervalMS` finds `pollIntervalMs`); the allowed distance grows with the
 * length of the input, leading dashes not counted (0 up to 2 characters, 1 up to 5, then a third of
 * the length), and a candidate that
 * starts with an input of 3+ characters also counts (`--exp` finds `--experiment`). Ties go to the
 * earlier candidate, so list the most common ones first.
 */
export function nearest(input: string, candidates: Iterable<string>): string | undefined {
  const needle = input.toLowerCase()
  // Leading dashes of an option name say nothing about how plausible a typo is.
  const length = needle.replace(/^-+/, '').length
  const allowed = length <= 2 ? 0 : length <= 5 ? 1 : Math.floor(length / 3)
  let best: string | undefined
  let bestScore = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    if (candidate === input) continue
    const hay = candidate.toLowerCase()
    let score = editDistance(needle, hay)
    if (score > allowed && length >= 3 && hay.startsWith(needle)) score = allowed
    if (score <= allowed && score < bestScore) {
      best = candidate
      bestScore = score
    }
  }
  return best
}

/**
 * `" (did you mean 'X'?)"` for the candidate nearest to `input`, or `''` when none is close; meant
 * to follow the part of an error message that names `input`.
 * @example
 * `Unknown key 'pollIntervalMS'${didYouMean('pollIntervalMS', ['pollIntervalMs', 'models'])}.`
 * // "Unknown key 'pollIntervalMS' (did you mean 'pollIntervalMs'?)."
 */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const match = nearest(input, candidates)
  return match === undefined ? '' : ` (did you mean '${match}'?)`
}
