/**
 * "Did you mean …?": the nearest of a few known words to a misspelt one, by edit distance where
 * swapping two neighbouring letters counts as one edit (`wrnog` → `wrong`).
 */

/** Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known word `word` most likely meant, or undefined when none is close: at most one edit for
 * words of up to four letters (`ok`, `hint`), two for longer ones. Case is ignored.
 */
export function nearest(word: string, known: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: { word: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(w, k.toLowerCase());
    const limit = k.length <= 4 ? 1 : 2;
    if (d <= limit && (!best || d < best.d)) best = { word: k, d };
  }
  return best?.word;
}
