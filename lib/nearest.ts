/** "Did you mean": the closest of some known words, for unknown keys and unknown flags. */
export function nearest(word: string, known: readonly string[], maxDistance = 2): string | undefined {
  const lower = word.toLowerCase();
  // Bound the work: a 100 kB "key" is not a typo of a 20-character one.
  if (lower.length > 200) return undefined;
  return known.find((k) => k.toLowerCase() === lower) ?? known.find((k) => editDistance(k.toLowerCase(), lower) <= maxDistance);
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
