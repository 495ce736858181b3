// One child process of the concurrency scenario: CLIENTS clients (each its own SDK client,
// alternating between the two servers) that, until the deadline, register model versions,
// move and remove aliases, tag models and log metrics to shared runs, all through the real
// SDK. It reports, as one JSON line on stdout, what each operation was answered, so the
// parent can compare the server's state with what clients were told.
//
//   REL_URLS (comma-separated server URLs), CAIRN_API_KEY, REL_PROJECT, REL_WORKER (index),
//   REL_CLIENTS (clients in this process), REL_MODELS (JSON [{ name, runId }]), REL_RUNS
//   (JSON shared run ids), REL_SOURCE_RUN, REL_ARTIFACT, REL_DEADLINE (epoch ms)
import { Cairn } from "@cairn/sdk";

const env = process.env;
const urls = env.REL_URLS.split(",");
const project = env.REL_PROJECT;
const worker = Number(env.REL_WORKER);
const clients = Number(env.REL_CLIENTS);
const models = JSON.parse(env.REL_MODELS);
const sharedRuns = JSON.parse(env.REL_RUNS);
const sourceRun = env.REL_SOURCE_RUN;
const artifactPath = env.REL_ARTIFACT;
const deadline = Number(env.REL_DEADLINE);
const ALIASES = ["production", "staging", "canary"];

const report = {
  worker,
  ops: {},
  /** Every version a register call was answered with: [model, version, id, created]. */
  registered: [],
  /** Successful promotions: [model, alias, version, holder before]. */
  promoted: [],
  /** Successful alias removals: [model, alias, version removed]. */
  removed: [],
  /** Points acknowledged per "runId\tkey". */
  points: {},
  /** Server answers ≥ 500 seen by the SDK (including ones its retry hid), with a sample. */
  serverErrors: 0,
  serverErrorSamples: [],
  /** Failures that reached the client: "op status code" → count, with samples. */
  failures: {},
  failureSamples: [],
  latencyMs: {},
};

const bump = (obj, k, n = 1) => (obj[k] = (obj[k] ?? 0) + n);

/** fetch that notes every 5xx, including those the SDK's own retry then hides from its caller. */
const countingFetch = async (input, init) => {
  const res = await fetch(input, init);
  if (res.status >= 500) {
    report.serverErrors++;
    if (report.serverErrorSamples.length < 5) {
      const body = await res.clone().text().catch(() => "");
      report.serverErrorSamples.push(`${init?.method ?? "GET"} ${String(input?.url ?? input)} → ${res.status} ${body.slice(0, 400)}`);
    }
  }
  return res;
};

const rand = (n) => Math.floor(Math.random() * n);
const pick = (a) => a[rand(a.length)];

async function client(index) {
  const id = worker * clients + index;
  const cairn = new Cairn({ url: urls[id % urls.length], project, fetch: countingFetch, timeoutMs: 60_000 });
  /** Versions this client registered, per model: what it may promote. */
  const mine = new Map();
  let step = 0;
  let tagN = 0;
  const op = async (name, fn) => {
    const t0 = performance.now();
    try {
      await fn();
      bump(report.ops, name);
    } catch (e) {
      const k = `${name} ${e?.status ?? e?.name ?? "error"} ${e?.code ?? ""}`.trim();
      bump(report.failures, k);
      if (report.failureSamples.length < 10) report.failureSamples.push(`${k}: ${String(e?.message ?? e).slice(0, 300)}`);
    } finally {
      (report.latencyMs[name] ??= []).push(Math.round(performance.now() - t0));
    }
  };
  while (Date.now() < deadline) {
    const r = Math.random();
    if (r < 0.22) {
      // Mostly the long-lived models; now and then one that all clients create at once
      // (the same fresh name for every client during a 3-second window).
      const name = Math.random() < 0.1 ? `fresh-${Math.floor(Date.now() / 3000)}` : pick(models).name;
      await op("register", async () => {
        const v = await cairn.models.register({ name, runId: sourceRun, artifactPath });
        report.registered.push([name, v.version, v.id]);
        if (!mine.has(name)) mine.set(name, []);
        mine.get(name).push(v.version);
      });
    } else if (r < 0.44) {
      const candidates = models.map((m) => m.name).filter((n) => mine.has(n));
      if (candidates.length === 0) continue;
      const name = pick(candidates);
      const version = pick(mine.get(name));
      const alias = pick(ALIASES);
      await op("promote", async () => {
        const res = await cairn.models.promote(name, version, alias, { reason: `client ${id}` });
        report.promoted.push([name, alias, version, res.evaluation.currentVersion]);
      });
    } else if (r < 0.46) {
      const name = pick(models).name;
      const alias = pick(ALIASES);
      await op("removeAlias", async () => {
        try {
          const before = await cairn.models.alias(name, alias);
          if (before.version === null) return;
          const after = await cairn.models.removeAlias(name, alias, { reason: `client ${id}` });
          // The move this call made is the newest of the history it was answered with.
          const move = after.history[0];
          report.removed.push([name, alias, move.fromVersion]);
        } catch (e) {
          // Another client removed it between the read and the delete: nothing moved.
          if (e?.status !== 404) throw e;
        }
      });
    } else if (r < 0.56) {
      const name = pick(models).name;
      await op("tagModel", () => cairn.models.update(name, { tags: { [`client-${id}`]: String(tagN++) } }));
    } else {
      // One key every client shares (disjoint steps) and one key of its own, per shared run.
      const runId = pick(sharedRuns);
      const n = 20 + rand(80);
      const points = [];
      for (let i = 0; i < n; i++) {
        points.push({ key: "shared", step: id * 10_000_000 + step + i, value: Math.sin(step + i) });
        points.push({ key: `own-${id}`, step: step + i, value: (step + i) / 7 });
      }
      step += n;
      await op("logMetrics", async () => {
        const res = await cairn.metrics.log(runId, points);
        if (res.accepted !== points.length || res.written !== points.length) {
          throw Object.assign(new Error(`accepted ${res.accepted}, written ${res.written} of ${points.length} new points`), { name: "MetricsMismatch" });
        }
        bump(report.points, `${runId}\tshared`, n);
        bump(report.points, `${runId}\town-${id}`, n);
      });
    }
  }
}

await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
const q = (a, p) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
report.latencyMs = Object.fromEntries(Object.entries(report.latencyMs).map(([k, a]) => [k, { n: a.length, p50: q(a, 0.5), p99: q(a, 0.99), max: q(a, 1) }]));
process.stdout.write(`${JSON.stringify(report)}\n`);
