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

  /** Forgets a purged run's series (a scan, but purges are rare and the map is bounded). */
  deleteRun(runId: string): void {
    const prefix = runId + "\u0000";
    for (const k of this.map.keys()) if (k.startsWith(prefix)) this.map.delete(k);
  }
}
