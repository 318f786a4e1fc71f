/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher 2009): score(d) = Σ w_i / (k + rank_i(d))
 * over the lists that contain d. Rank-based, so BM25 scores and cosine similarities need no
 * calibration against each other. k = 60 is the paper's value; weights default to 1 (the paper's
 * unweighted form).
 */
export function reciprocalRankFusion(
  lists: readonly (readonly string[])[],
  k = 60,
  weights?: readonly number[],
): { id: string; score: number }[] {
  const scores = new Map<string, number>()
  lists.forEach((list, l) => {
    const w = weights?.[l] ?? 1
    if (w <= 0) return
    list.forEach((id, rank) => {
      scores.set(id, (scores.get(id) ?? 0) + w / (k + rank + 1))
    })
  })
  return [...scores.entries()]
    .map(([id, score]) => ({ id, score }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}
