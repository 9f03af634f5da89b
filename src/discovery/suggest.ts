/** Levenshtein distance: the fewest one-character insertions, deletions or substitutions from a to b. */
export function editDistance (a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost)
    }
    prev = row
  }
  return prev[b.length] as number
}

/**
 * The names nearest to a mistyped one, nearest first, at most `max`: only
 * those a typo could explain (a third of the name's length, at least 2 edits).
 */
export function closest (name: string, names: Iterable<string>, max = 3): string[] {
  const limit = Math.max(2, Math.ceil(name.length / 3))
  return [...names]
    .map((n) => ({ n, d: editDistance(name.toLowerCase(), n.toLowerCase()) }))
    .filter(({ d }) => d <= limit)
    .sort((x, y) => x.d - y.d || (x.n < y.n ? -1 : 1))
    .slice(0, max)
    .map(({ n }) => n)
}
