/** A small LRU map of `${runId}\u0000${key}` → series id (Map keeps insertion order). */
export class SeriesIdCache {
  private readonly map = new Map<string, number>();
  constructor(private readonly capacity: number) {}

  get(runId: string, key: string): number | undefined {
    const k = runId + "\u0000" + key;
    const id = this.map.get(k);
    if (id !== undefined) {
      this.map.delete(k);
      this.map.set(k, id);
    }
    return id;
  }

  set(runId: string, key: string, id: number): void {
    const k = runId + "\u0000" + key;
    this.map.delete(k);
    this.map.set(k, id);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }

  /** Forgets purged runs' series: one scan of the (bounded) map however many runs, as purges are rare. */
  deleteRuns(runIds: Iterable<string>): void {
    const gone = new Set(runIds);
    if (gone.size === 0) return;
    for (const k of this.map.keys()) if (gone.has(k.slice(0, k.indexOf("\u0000")))) this.map.delete(k);
  }
}
