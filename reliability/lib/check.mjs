// What the server holds for a trainer's run, read back through the public API at full
// resolution: every step 0..expected-1 once, with the value the trainer logged.
import { valueAt } from "./values.mjs";

async function getJson(url, apiKey, path) {
  const res = await fetch(url + path, { headers: { authorization: `Bearer ${apiKey}` } });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${path} → ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/**
 * @returns {{ stored: number, distinct: number, duplicates: number, missing: number, wrong: number, summaryCount: number }}
 * `duplicates` counts steps returned more than once plus any excess of the server's own
 * counter (summary count) over the distinct points: a replayed batch must change neither.
 */
export async function checkRunPoints({ url, apiKey, runId, key = "loss", expected, present }) {
  const seen = new Uint8Array(expected);
  let stored = 0;
  let duplicates = 0;
  let wrong = 0;
  const CHUNK = 100_000;
  for (let from = 0; from < expected; from += CHUNK) {
    const h = await getJson(url, apiKey, `/api/v1/runs/${runId}/metrics/${key}?maxPoints=${CHUNK}&fromStep=${from}&toStep=${from + CHUNK - 1}`);
    if (h.downsampled) throw new Error(`history came back downsampled for steps ${from}..${from + CHUNK - 1}`);
    for (let i = 0; i < h.steps.length; i++) {
      const s = h.steps[i];
      stored++;
      if (s >= expected) continue;
      if (seen[s]) duplicates++;
      seen[s] = 1;
      if (Math.abs(h.values[i] - valueAt(s)) > 1e-12) wrong++;
    }
  }
  const summary = (await getJson(url, apiKey, `/api/v1/runs/${runId}/metrics`)).metrics.find((m) => m.key === key);
  const summaryCount = summary?.count ?? 0;
  let distinct = 0;
  let missing = 0;
  // `present(step)`: whether the scenario requires this step (all of them unless a crash cut the run short).
  for (let s = 0; s < expected; s++) {
    if (seen[s]) distinct++;
    else if (!present || present(s)) missing++;
  }
  duplicates += Math.max(0, summaryCount - distinct);
  return { stored, distinct, duplicates, missing, wrong, summaryCount, has: (step) => seen[step] === 1 };
}
