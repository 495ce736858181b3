#!/usr/bin/env node
// A webhook receiver as a CI system would run one: it accepts a monitor's POST only when the
// X-Cairn-Signature header is the HMAC-SHA256 of the raw body under the shared secret, and
// prints what a retraining job needs from a `retrain` payload.
//
//   WEBHOOK_SECRET=... node receiver.mjs [--port 8650]
import { createHmac, timingSafeEqual } from "node:crypto";
import { realpathSync } from "node:fs";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** The largest body accepted: payloads are a few kilobytes. */
const MAX_BODY_BYTES = 1024 * 1024;

/** `sha256=<hex>` of the body under the secret: what Cairn sends in X-Cairn-Signature. */
export function signature(secret, body) {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Constant-time comparison, so response timing does not leak how much of a forged signature was right. */
export function verifySignature(secret, body, header) {
  if (typeof header !== "string") return false;
  const expected = Buffer.from(signature(secret, body));
  const got = Buffer.from(header);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** The lines a human (or a CI log) reads from a payload. */
export function describePayload(p) {
  const lines = [`${p.type} from project ${p.project}: ${p.alert.message}`];
  const r = p.retrain;
  if (r) {
    lines.push(`  retrain ${r.model}@${r.alias} (v${r.version}), trained by run ${r.trainingRunId ?? "(unknown)"}`);
    if (r.rerunCommand) lines.push(`  command: ${r.rerunCommand}`);
    for (const d of r.datasets) lines.push(`  ${d.role.padEnd(9)} ${d.name} v${d.version} ${d.digest}`);
    lines.push(`  reference digest ${r.referenceDigest ?? "(none)"}; window ${r.window.start} – ${r.window.end}`);
  }
  return lines.join("\n");
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error("body too large"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Starts the receiver on 127.0.0.1. Each verified payload is kept in `payloads` and handed to
 * `onPayload`; an unsigned or wrongly signed request gets 401 and is counted in `rejected`.
 * @param {{ secret: string, port?: number, onPayload?: (payload: object) => void }} opts
 */
export async function startReceiver({ secret, port = 0, onPayload = () => {} }) {
  if (typeof secret !== "string" || secret.length < 16) throw new Error("the webhook secret must be at least 16 characters");
  const payloads = [];
  let rejected = 0;
  const waiters = new Set();
  const server = http.createServer(async (req, res) => {
    if (req.method !== "POST") {
      res.writeHead(405).end();
      return;
    }
    let body;
    try {
      body = await readBody(req);
    } catch {
      res.writeHead(413).end();
      return;
    }
    if (!verifySignature(secret, body, req.headers["x-cairn-signature"])) {
      rejected++;
      res.writeHead(401, { "content-type": "text/plain" }).end("bad signature\n");
      return;
    }
    let payload;
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      res.writeHead(400).end();
      return;
    }
    payloads.push({ payload, delivery: req.headers["x-cairn-delivery"], signature: req.headers["x-cairn-signature"], body: body.toString("utf8") });
    res.writeHead(204).end();
    try {
      onPayload(payload);
    } finally {
      for (const w of [...waiters]) w();
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}/hooks/cairn`;
  return {
    url,
    payloads,
    get rejected() {
      return rejected;
    },
    /** Resolves with the first payload `match` accepts, or rejects after `timeoutMs`. */
    waitFor(match, timeoutMs = 30_000) {
      const found = () => payloads.find((p) => match(p.payload));
      const now = found();
      if (now) return Promise.resolve(now.payload);
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = found();
          if (!hit) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(hit.payload);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching webhook payload within ${timeoutMs} ms (${payloads.length} received, ${rejected} rejected)`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  const { values } = parseArgs({ options: { port: { type: "string", default: "8650" } } });
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) {
    console.error("set WEBHOOK_SECRET (the secret the monitor was created with, at least 16 characters)");
    process.exit(1);
  }
  const r = await startReceiver({ secret, port: Number(values.port), onPayload: (p) => console.log(describePayload(p)) });
  console.log(`receiving Cairn webhooks at ${r.url}`);
}
