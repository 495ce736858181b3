// The load scenario's second process: autocannon against one Cairn server with a mix of
// metric ingestion (POST /runs/{id}/metrics, 200-point batches in the SDK's column form)
// and run queries (runs search with a filter, one run, a metric's history). First a short
// ramp of closed-loop phases finds the maximum throughput; then a steady phase runs at
// REL_LOAD_SHARE of it (autocannon's overallRate, latencies corrected for coordinated
// omission). One JSON line on stdout reports every phase.
//
//   REL_LOAD (JSON: { url, apiKey, project, ingestRuns, queryRun, historyRun, rampSeconds,
//   rampConnections, steadySeconds, steadyConnections, share })
import autocannon from "autocannon";

const cfg = JSON.parse(process.env.REL_LOAD);
const BATCH = 200;
let nextChunk = 0;
const acked = { requests: 0, points: 0, written: 0 };

const filter = encodeURIComponent("metrics.accuracy > 0.5");
const ingest = {
  method: "POST",
  setupRequest(req) {
    const chunk = nextChunk++;
    const runId = cfg.ingestRuns[chunk % cfg.ingestRuns.length];
    const first = Math.floor(chunk / cfg.ingestRuns.length) * BATCH;
    const steps = Array.from({ length: BATCH }, (_, i) => first + i);
    return { ...req, path: `/api/v1/runs/${runId}/metrics`, body: JSON.stringify({ series: [{ key: "loss", steps, values: steps.map((s) => Math.sin(s / 50)) }] }) };
  },
  onResponse(status, body) {
    if (status >= 300) return;
    const r = JSON.parse(body);
    acked.requests++;
    acked.points += r.accepted;
    acked.written += r.written;
  },
};
const requests = [
  ingest,
  { method: "GET", path: `/api/v1/projects/${encodeURIComponent(cfg.project)}/runs?filter=${filter}&limit=20` },
  ingest,
  { method: "GET", path: `/api/v1/runs/${cfg.queryRun}` },
  ingest,
  { method: "GET", path: `/api/v1/runs/${cfg.historyRun}/metrics/loss?maxPoints=500` },
];

function phase(opts) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const instance = autocannon(
      {
        url: cfg.url,
        headers: { authorization: `Bearer ${cfg.apiKey}`, "content-type": "application/json" },
        requests,
        timeout: 10,
        ...opts,
      },
      (err, result) => (err ? reject(err) : resolve({ ...result, startedMs: started, endedMs: Date.now() })),
    );
    instance.on("error", reject);
  });
}

const summary = (r) => ({
  connections: r.connections,
  rate: r.requests.average,
  total: r.requests.total,
  p50: r.latency.p50,
  p99: r.latency.p99,
  max: r.latency.max,
  errors: r.errors,
  timeouts: r.timeouts,
  non2xx: r.non2xx,
  statusCodes: r.statusCodeStats,
  startedMs: r.startedMs,
  endedMs: r.endedMs,
});

const ramp = [];
for (const connections of cfg.rampConnections) ramp.push(summary(await phase({ connections, duration: cfg.rampSeconds })));
const max = Math.max(...ramp.map((p) => p.rate));
const target = Math.max(1, Math.round(max * cfg.share));
process.stderr.write(`steady ${target}\n`);
const steady = summary(await phase({ connections: cfg.steadyConnections, duration: cfg.steadySeconds, overallRate: target }));
process.stdout.write(`${JSON.stringify({ ramp, max, target, steady, acked, batch: BATCH })}\n`);
