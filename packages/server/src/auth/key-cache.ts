/**
 * Authenticated keys by secret hash for a few seconds, so the hot ingestion path does
 * not query the keys table per request. A revocation in this process takes effect at
 * once; other replicas see it within the TTL.
 */
export class KeyCache<T> {
  private readonly entries = new Map<string, { value: T | null; at: number }>();
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly ttlMs = 5_000,
    private readonly touchEveryMs = 60_000,
  ) {}

  get(hash: string): T | null | undefined {
    const e = this.entries.get(hash);
    if (!e) return undefined;
    if (Date.now() - e.at > this.ttlMs) {
      this.entries.delete(hash);
      return undefined;
    }
    return e.value;
  }

  set(hash: string, value: T | null): void {
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(hash, { value, at: Date.now() });
  }

  forget(hash: string): void {
    this.entries.delete(hash);
  }

  shouldTouch(id: string): boolean {
    const now = Date.now();
    if (now - (this.touched.get(id) ?? 0) < this.touchEveryMs) return false;
    if (this.touched.size > 10_000) this.touched.clear();
    this.touched.set(id, now);
    return true;
  }
}
