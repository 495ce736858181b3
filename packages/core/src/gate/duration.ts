const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `7d` → milliseconds; the format is checked by the `Duration` schema. */
export function durationMs(duration: string): number {
  const m = /^([1-9][0-9]{0,6})([smhdw])$/.exec(duration);
  if (!m) throw new RangeError(`not a duration: ${JSON.stringify(duration)}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** An age as a person says it, exact to the second so a failure never reads "7d > 7d": `45s`, `3h 5m`, `7d 1s`. */
export function formatAge(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86_400], ["h", 3_600], ["m", 60]] as const) {
    if (s >= size) parts.push(`${Math.floor(s / size)}${unit}`);
    s %= size;
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.join(" ");
}
