import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CairnNetworkError } from "../client/errors.js";
import { errorFromResponse } from "../client/http.js";
import { NodeBatchTransport } from "./node-transport.js";

/** A server that answers each request with the next scripted reply and records what it got. */
let replies: Array<(req: http.IncomingMessage, res: http.ServerResponse) => void> = [];
const got: Array<{ method: string; url: string; body: string; auth: string | undefined }> = [];
let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({ method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString("utf8"), auth: req.headers.authorization });
      (replies.shift() ?? ((_q, r) => r.writeHead(200).end('{"accepted":1}')))(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("NodeBatchTransport", () => {
  it("sends a batch body with the key, and answers like the shared transport: status, parsed body, Retry-After", async () => {
    const t = new NodeBatchTransport({ url, apiKey: "k1" });
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
    const t = new NodeBatchTransport({ url, apiKey: undefined, timeoutMs: 200 });
    await expect(t.raw("POST", "/a", { body: "{}" })).rejects.toBeInstanceOf(CairnNetworkError);
    const refused = new NodeBatchTransport({ url: "http://127.0.0.1:9", apiKey: undefined });
    await expect(refused.raw("POST", "/a", { body: "{}" })).rejects.toThrow(/cannot reach/);
    replies = [() => {}]; // never answers
    const ctrl = new AbortController();
    const aborted = t.raw("POST", "/a", { body: "{}", signal: ctrl.signal });
    ctrl.abort();
    await expect(aborted).rejects.toBeInstanceOf(CairnNetworkError);
    replies = [() => {}];
    await expect(t.raw("POST", "/a", { body: "{}" })).rejects.toThrow(/timed out/);
  });
});
