/**
 * Per-key write coalescing: while one transaction for a run is in flight, the
 * batches that arrive for the same run wait and are then written together in one
 * transaction (one lock, one COPY, one summary update, one commit), and each request
 * is answered when that commit is done. Concurrent batches of one run serialise on its
 * series rows anyway; merging them turns the queue into throughput.
 */
export class KeyedBatcher<J, R> {
  private readonly queues = new Map<string, Array<{ job: J; resolve: (r: R) => void; reject: (e: unknown) => void }>>();

  constructor(
    private readonly write: (jobs: J[]) => Promise<R[]>,
    private readonly maxJobs: number,
  ) {}

  submit(key: string, job: J): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let queue = this.queues.get(key);
      const idle = queue === undefined;
      if (!queue) this.queues.set(key, (queue = []));
      queue.push({ job, resolve, reject });
      if (idle) void this.drain(key, queue);
    });
  }

  private async drain(key: string, queue: Array<{ job: J; resolve: (r: R) => void; reject: (e: unknown) => void }>): Promise<void> {
    try {
      while (queue.length > 0) {
        const group = queue.splice(0, this.maxJobs);
        try {
          const results = await this.write(group.map((g) => g.job));
          group.forEach((g, i) => g.resolve(results[i]!));
        } catch (e) {
          for (const g of group) g.reject(e);
        }
      }
    } finally {
      this.queues.delete(key);
    }
  }
}
