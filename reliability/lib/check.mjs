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
 * @returns {{ stored: number, distinct: number, duplicates: number, missing: number, wrong: number, summaryCount: number, has: (step: number) => boolean }}
 * `duplicates` counts steps returned more than once plus any excess of the server's own
 * counter (summary count) over the distinct points stored: a replayed batch must change
 * neither. Every stored step is read, also those past `expected` (a killed trainer may have
 * logged, and sent, more than its last progress mark says), so the counter is compared with
 * everything there is; `distinct`, `missing` and `wrong` are about steps below `expected`.
 */
export async function checkRunPoints({ url, apiKey, runId, key = "loss", expected, present }) {
  const summary = (await getJson(url, apiKey, `/api/v1/runs/${runId}/metrics`)).metrics.find((m) => m.key === key);
  const summaryCount = summary?.count ?? 0;
  // No series at all: nothing was stored (fine when nothing was required).
  const upTo = summary ? Math.max(expected, summary.lastStep + 1) : 0;
  const seen = new Uint8Array(Math.max(expected, upTo));
  let stored = 0;
  let duplicates = 0;
  let wrong = 0;
  let distinctAll = 0;
  const CHUNK = 100_000;
  for (let from = 0; from < upTo; from += CHUNK) {
    const h = await getJson(url, apiKey, `/api/v1/runs/${runId}/metrics/${key}?maxPoints=${CHUNK}&fromStep=${from}&toStep=${from + CHUNK - 1}`);
    if (h.downsampled) throw new Error(`history came back downsampled for steps ${from}..${from + CHUNK - 1}`);
    for (let i = 0; i < h.steps.length; i++) {
      const s = h.steps[i];
      stored++;
      if (seen[s]) duplicates++;
      else distinctAll++;
      seen[s] = 1;
      if (Math.abs(h.values[i] - valueAt(s)) > 1e-12) wrong++;
    }
  }
  let distinct = 0;
  let missing = 0;
  // `present(step)`: whether the scenario requires this step (all of them unless a crash cut the run short).
  for (let s = 0; s < expected; s++) {
    if (seen[s]) distinct++;
    else if (!present || present(s)) missing++;
  }
  duplicates += Math.max(0, summaryCount - distinctAll);
  return { stored, distinct, duplicates, missing, wrong, summaryCount, has: (step) => seen[step] === 1 };
}
