// A correctness check that rides along with the benchmark: the SDK sends up to
// `concurrency` (default 4) metric requests of one run in parallel, so the first batches
// of a new key can reach the server at the same time. Every point must be stored once.
import { api } from "./lib/server.mjs";

export async function concurrentNewKeys(url, { keys = 20, batches = 4, points = 1_000 } = {}) {
  const project = "bench-integrity";
  await api(url, "POST", "/api/v1/projects", { name: project }).catch(() => {});
  const run = await api(url, "POST", `/api/v1/projects/${project}/runs`, { name: "concurrent-new-keys" });
  for (let k = 0; k < keys; k++) {
    const key = `key_${k}`;
    await Promise.all(
      Array.from({ length: batches }, (_, b) =>
        api(url, "POST", `/api/v1/runs/${run.id}/metrics`, {
          points: Array.from({ length: points }, (_, i) => ({ key, value: i, step: b * points + i })),
        }),
      ),
    );
  }
  const list = await api(url, "GET", `/api/v1/runs/${run.id}/metrics`);
  const expected = keys * batches * points;
  const stored = list.metrics.reduce((a, m) => a + m.count, 0);
  const wrongKeys = list.metrics.filter((m) => m.count !== batches * points).length + (keys - list.metrics.length);
  return { keys, batchesPerKey: batches, pointsPerBatch: points, expected, stored, lost: expected - stored, wrongKeys, ok: stored === expected && wrongKeys === 0 };
}
