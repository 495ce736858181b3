#!/usr/bin/env node
// The prediction service: loads whatever `production` points at from the registry, answers
// POST /predict, logs every prediction through the SDK (batched in the background, never in
// the request's way), and swaps to a newly promoted version without a restart.
//
//   node service.mjs [--project penguins-prod] [--model penguin-sex] [--port 8651]
//
//   POST /predict  {"features": {...}, "timestamp"?: ms}  → {"id", "model", "version", "label", "score"}
//   GET  /healthz                                         → the version being served
//
// `timestamp` is for replayed traffic (traffic.mjs): the prediction is logged at that time, so
// it lands in that hour's monitoring window. Live callers leave it out.
import { readFile } from "node:fs/promises";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { Cairn } from "@cairn/sdk";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { predict } from "../gated-deploy/models.mjs";

/** One penguin's features are a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;
/** Tries to load a newly promoted version before giving up until the alias moves again. */
const SWAP_ATTEMPTS = 5;

const isScalar = (v) => v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));

/** Why a request body cannot be served, or undefined when it can. */
export function requestProblem(body) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return "the body must be a JSON object {features, timestamp?}";
  const { features, timestamp } = body;
  if (features === null || typeof features !== "object" || Array.isArray(features)) return "features must be a flat JSON object";
  for (const [k, v] of Object.entries(features)) if (!isScalar(v)) return `features.${k} must be a number, string, boolean or null`;
  if (timestamp !== undefined && !(Number.isInteger(timestamp) && timestamp > 0)) return "timestamp must be milliseconds since the epoch";
  return undefined;
}

/** One version, ready to serve: the model's weights and the monitor its predictions go to. */
async function loadVersion(client, name, ref, opts) {
  const loaded = await client.models.load(name, ref, opts.cacheDir ? { cacheDir: opts.cacheDir } : {});
  const model = JSON.parse(await readFile(loaded.path, "utf8"));
  const monitor = loaded.monitor({ ...(opts.flushIntervalMs ? { flushIntervalMs: opts.flushIntervalMs } : {}), onError: (e) => opts.log(`monitor v${loaded.version.version}: ${e.error.message}`) });
  return { version: loaded.version.version, model, monitor };
}

/**
 * Starts the service on 127.0.0.1.
 * @param {{ client: Cairn, model: string, alias?: string, port?: number, cacheDir?: string, flushIntervalMs?: number, log?: (line: string) => void }} opts
 * @returns {Promise<{ url: string, version: () => number, swaps: Array<{from: number, to: number, at: string}>, swapped: (version: number, timeoutMs?: number) => Promise<void>, close: () => Promise<void> }>}
 */
export async function startService(opts) {
  const { client, model: name, alias = "production", port = 0 } = opts;
  const log = opts.log ?? ((line) => console.log(`[service] ${line}`));
  const o = { ...opts, log };
  let serving = await loadVersion(client, name, alias, o);
  log(`serving ${name} v${serving.version} (${alias})`);
  const swaps = [];
  const swapWaiters = new Set();

  let closed = false;
  // The alias moved: load the new version first, then swap, then flush the old version's
  // monitor — requests never wait for a download, and each prediction is logged under the
  // version that made it. The watch reports each move once, so a failed download is retried
  // here (serving the old version meanwhile).
  const swapTo = async (version) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await loadVersion(client, name, version, o);
      } catch (err) {
        if (closed || attempt >= SWAP_ATTEMPTS) throw err;
        log(`loading v${version} failed (${err.message}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
    }
  };
  const watch = client.models.watch(
    name,
    alias,
    async (event) => {
      if (closed || event.version === null || event.version === serving.version) return;
      const next = await swapTo(event.version);
      if (closed) return next.monitor.close();
      const previous = serving;
      serving = next;
      swaps.push({ from: previous.version, to: next.version, at: new Date().toISOString() });
      log(`${alias} moved: now serving ${name} v${next.version} (was v${previous.version})`);
      for (const w of [...swapWaiters]) w();
      await previous.monitor.close();
    },
    { version: serving.version, onError: (err) => log(`watch: ${err.message}`) },
  );

  const app = new Hono();
  app.use("/predict", bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: `the body is larger than ${MAX_BODY_BYTES} bytes` }, 413) }));
  app.get("/healthz", (c) => c.json({ status: "ok", model: name, alias, version: serving.version, watch: watch.mode }));
  app.post("/predict", async (c) => {
    let body;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: "the body is not valid JSON" }, 400);
    }
    const problem = requestProblem(body);
    if (problem) return c.json({ error: problem }, 400);
    const s = serving;
    const started = performance.now();
    const { label, score } = predict(s.model, body.features);
    const latencyMs = performance.now() - started;
    const id = s.monitor.logPrediction({ features: body.features, output: label, score, latencyMs, ...(body.timestamp !== undefined ? { timestamp: body.timestamp } : {}) });
    return c.json({ id, model: name, version: s.version, label, score });
  });

  const server = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => resolve(s));
    s.once("error", reject);
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    version: () => serving.version,
    swaps,
    /** Resolves once the service serves `version` (after a promotion). */
    swapped(version, timeoutMs = 30_000) {
      if (serving.version === version) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (serving.version !== version) return;
          clearTimeout(timer);
          swapWaiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          swapWaiters.delete(check);
          reject(new Error(`the service still serves v${serving.version}, not v${version}, after ${timeoutMs} ms`));
        }, timeoutMs);
        swapWaiters.add(check);
      });
    },
    /** Flushes every logged prediction to the server (what traffic.mjs waits for before sending labels). */
    flush: () => serving.monitor.flush(),
    /** Stops watching and serving, then sends what the monitor still holds. */
    async close() {
      closed = true;
      watch.close();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
      await serving.monitor.close();
    },
  };
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  const { values } = parseArgs({
    options: {
      project: { type: "string", default: "penguins-prod" },
      model: { type: "string", default: "penguin-sex" },
      port: { type: "string", default: "8651" },
    },
  });
  const svc = await startService({ client: new Cairn({ project: values.project }), model: values.model, port: Number(values.port) });
  console.log(`listening on ${svc.url}`);
  const stop = async () => {
    await svc.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
