/**
 * Indexes of values with no drawn neighbour (nulls, or the ends, on both sides): a line
 * with gaps leaves them invisible, so they are drawn as dots. `undefined` entries are
 * alignment filler of joined series (never gaps) and are skipped.
 */
export function isolatedPoints(y: ArrayLike<number | null | undefined>, spanGaps: boolean): number[] {
  const present: number[] = [];
  for (let i = 0; i < y.length; i++) if (y[i] !== undefined && (!spanGaps || y[i] !== null)) present.push(i);
  const out: number[] = [];
  for (let k = 0; k < present.length; k++) {
    const i = present[k]!;
    if (y[i] === null) continue;
    const before = k === 0 || y[present[k - 1]!] === null;
    const after = k === present.length - 1 || y[present[k + 1]!] === null;
    if (before && after) out.push(i);
  }
  return out;
}
