import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CairnNetworkError } from "../client/errors.js";
import { errorFromResponse } from "../client/http.js";
import { BackgroundTransport } from "./background-transport.js";

/** A server that answers each request with the next scripted reply and records what it got. */
let replies: Array<(req: http.IncomingMessage, res: http.ServerResponse) => void> = [];
const got: Array<{ method: string; url: string; body: string; auth: string | undefined; type: string | undefined }> = [];
let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({ method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString("utf8"), auth: req.headers.authorization, type: req.headers["content-type"] });
      (replies.shift() ?? ((_q, r) => r.writeHead(200).end('{"accepted":1}')))(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("BackgroundTransport", () => {
  it("sends a batch body with the key, and answers like the shared transport: status, parsed body, Retry-After", async () => {
    const t = new BackgroundTransport({ url, apiKey: "k1" });
    got.length = 0;
    replies = [(_q, r) => r.writeHead(503, { "retry-after": "7", "content-type": "application/problem+json" }).end('{"type":"about:blank","title":"busy","status":503}')];
    const body = `{"columns":"${"é".repeat(50_000)}"}`;
    const first = await t.raw("POST", "/api/v1/projects/p/predictions", { body });
    expect(first.status).toBe(503);
    expect(errorFromResponse(first).retryAfterMs).toBe(7_000);
    const second = await t.raw("POST", "/api/v1/projects/p/predictions", { body });
    expect([second.status, second.body]).toEqual([200, { accepted: 1 }]);
    const plain = await t.raw("POST", "/x", { body: '{"a":"ü"}' });
    expect(plain.status).toBe(200);
    expect(got.map((g) => [g.method, g.url, g.body, g.auth])).toEqual([
      ["POST", "/api/v1/projects/p/predictions", body, "Bearer k1"],
      ["POST", "/api/v1/projects/p/predictions", body, "Bearer k1"],
      ["POST", "/x", '{"a":"ü"}', "Bearer k1"],
    ]);
  });

  it("a cut connection, a refused one, an abort and a timeout are network errors (the sender retries or spools)", async () => {
    replies = [(_q, r) => r.socket?.destroy()];
    const t = new BackgroundTransport({ url, apiKey: undefined, timeoutMs: 200 });
    await expect(t.raw("POST", "/a", { body: "{}" })).rejects.toBeInstanceOf(CairnNetworkError);
    const refused = new BackgroundTransport({ url: "http://127.0.0.1:9", apiKey: undefined });
    await expect(refused.raw("POST", "/a", { body: "{}" })).rejects.toThrow(/cannot reach/);
    replies = [() => {}]; // never answers
    const ctrl = new AbortController();
    const aborted = t.raw("POST", "/a", { body: "{}", signal: ctrl.signal });
    ctrl.abort();
    await expect(aborted).rejects.toBeInstanceOf(CairnNetworkError);
    replies = [() => {}];
    await expect(t.raw("POST", "/a", { body: "{}" })).rejects.toThrow(/timed out/);
  });

  it("sends a run's requests: a JSON body, query strings, and no content type without a body", async () => {
    const t = new BackgroundTransport({ url, apiKey: "k2" });
    got.length = 0;
    replies = [(_q, r) => r.writeHead(201, { "content-type": "application/json" }).end('{"id":"r1"}'), (_q, r) => r.writeHead(200).end("ok, not JSON")];
    const created = await t.raw("PATCH", "/api/v1/runs/r1", { json: { status: "finished", note: "é" } });
    expect([created.status, created.body]).toEqual([201, { id: "r1" }]);
    const probe = await t.raw("GET", "/readyz", { searchParams: { a: "x y", skip: undefined, n: 3 } });
    expect([probe.status, probe.body]).toEqual([200, undefined]);
    expect(got.map((g) => [g.method, g.url, g.body, g.auth, g.type])).toEqual([
      ["PATCH", "/api/v1/runs/r1", '{"status":"finished","note":"é"}', "Bearer k2", "application/json"],
      ["GET", "/readyz?a=x%20y&n=3", "", "Bearer k2", undefined],
    ]);
  });

  it("never holds a process open: it exits while a request on a reused keep-alive socket waits for an answer", async () => {
    // In a child process: this one's server (and vitest) keep the loop alive. The first request
    // leaves its socket in the agent's pool, which refs it again when the second one takes it.
    replies = [(_q, r) => r.writeHead(200).end("{}"), () => {}];
    const dir = mkdtempSync(join(tmpdir(), "cairn-bg-transport-"));
    const script = join(dir, "child.mts");
    writeFileSync(
      script,
      `import { BackgroundTransport } from ${JSON.stringify(new URL("./background-transport.ts", import.meta.url).href)};
const t = new BackgroundTransport({ url: ${JSON.stringify(url)}, apiKey: undefined, timeoutMs: 30_000 });
// The SDK holds the process while it awaits a request (keepAlive), as here; the transport never does.
const hold = setInterval(() => {}, 1_000);
await t.raw("POST", "/first", { body: "{}" });
clearInterval(hold);
const start = Date.now();
process.on("exit", () => console.log(JSON.stringify({ exitAfterMs: Date.now() - start })));
void t.raw("POST", "/hangs", { body: "{}" }).catch(() => {});
`,
    );
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ["--import", "tsx", script], { timeout: 20_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr }),
      );
      child.stdin?.end();
    });
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    const { exitAfterMs } = JSON.parse(out.stdout) as { exitAfterMs: number };
    // Held by the request, it would wait for its 30 s timeout.
    expect(exitAfterMs).toBeLessThan(5_000);
    expect(got.slice(-2).map((g) => g.url)).toEqual(["/first", "/hangs"]);
  });
});
