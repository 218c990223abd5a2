/**
 * "Did you mean" suggestions for names that are almost right: a typo (edit distance, counting a
 * swap of two neighbours as one edit, so `Ouptut` is one edit from `Output`) or a difference of
 * case only.
 */

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [];
    for (let j = 0; j <= b.length; j++) {
      if (i === 0 || j === 0) {
        row.push(i + j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const above = rows[i - 1] ?? [];
      let best = Math.min((above[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (above[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}

/**
 * The candidate closest to `name`, if it is close enough to be a likely typo: at most a third of
 * the name's length in edits (at least one), comparing without case. Candidates in `exclude`
 * (names the same field already lists) are never suggested: pointing a user at a name they
 * already wrote is noise.
 */
export function closest(
  name: string,
  candidates: Iterable<string>,
  exclude: ReadonlySet<string> | Iterable<string> = [],
): string | null {
  // A caller checking many names passes one Set: building it per name made validating a mapping
  // quadratic in its unknown keys.
  const excluded = exclude instanceof Set ? (exclude as ReadonlySet<string>) : new Set(exclude);
  const wanted = name.toLowerCase();
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === name || excluded.has(candidate)) continue;
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** ` (did you mean `X`?)`, or '' when nothing is close. */
export function didYouMean(name: string, candidates: Iterable<string>, exclude: ReadonlySet<string> | Iterable<string> = []): string {
  const match = closest(name, candidates, exclude);
  return match === null ? '' : ` (did you mean \`${match}\`?)`;
}
