import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newProject, newRun } from "../../test/support.js";
import { testDrivers } from "../testing.js";
import { artifactUrl, rawRequest, useArtifactServer, walkFiles } from "./artifacts.testutil.js";
import { SOCKET_BODY_MIN_BYTES, socketBody } from "./socket-body.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const MiB = 2 ** 20;

/** `body` cut into uneven pieces, so reads and the parser's first chunk fall anywhere. */
function pieces(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0, i = 0; off < body.length; i++) {
    const n = [1000, 64 * 1024 + 7, 3 * MiB + 1, 250_000][i % 4]!;
    out.push(body.subarray(off, off + n));
    off += n;
  }
  return out;
}

/** Sends raw bytes on a fresh connection (optionally half-closing after them); resolves with all it gets back. */
function rawExchange(port: number, bytes: Buffer[], halfClose: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const got: Buffer[] = [];
    socket.on("data", (d) => got.push(d));
    socket.on("close", () => resolve(Buffer.concat(got).toString("latin1")));
    socket.on("error", reject);
    (async () => {
      for (const b of bytes) if (!socket.write(b)) await new Promise((r) => socket.once("drain", r));
      if (halfClose) socket.end();
    })().catch(reject);
  });
}

describe("socketBody (a body read off the socket into one reused buffer)", () => {
  /** What the last request's sink saw. */
  let seen: { chunks: number; buffers: Set<ArrayBufferLike>; sha256: string; bytes: number; error?: string };
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    // A plain node:http server, as @hono/node-server gives the handler: the sink pushes back
    // (a timer) on every third chunk, like a file writer whose blocks are all in flight.
    server = http.createServer((req, res) => {
      const hash = createHash("sha256");
      const state = { chunks: 0, buffers: new Set<ArrayBufferLike>(), bytes: 0 };
      socketBody(req, res, () => req)
        .drainInto((chunk) => {
          hash.update(chunk);
          state.chunks++;
          state.bytes += chunk.length;
          state.buffers.add(chunk.buffer);
          return state.chunks % 3 === 0 ? new Promise((r) => setTimeout(r, 1)) : undefined;
        })
        .then(
          () => {
            seen = { ...state, sha256: hash.digest("hex") };
            res.end(JSON.stringify({ bytes: state.bytes }));
          },
          (e: Error) => {
            seen = { ...state, sha256: "", error: (e as NodeJS.ErrnoException).code ?? e.message };
            res.statusCode = 400;
            res.end();
          },
        );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const put = (body: Buffer, headers: Record<string, string> = { "content-length": String(body.length) }, agent?: http.Agent) =>
    new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, method: "PUT", path: "/x", headers, agent: agent ?? false }, (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
      });
      req.on("error", reject);
      (async () => {
        for (const p of pieces(body)) if (!req.write(p)) await new Promise((r) => req.once("drain", r));
        req.end();
      })().catch(reject);
    });

  it("delivers a large body byte for byte from one reused buffer, and closes the connection after answering", async () => {
    const body = randomBytes(SOCKET_BODY_MIN_BYTES + 5 * MiB + 12_345);
    const res = await put(body);
    expect(res.status).toBe(200);
    expect(seen.error).toBeUndefined();
    expect(seen.bytes).toBe(body.length);
    expect(seen.sha256).toBe(sha(body));
    // The parser's first chunk(s) have buffers of their own; everything after comes from one.
    expect(seen.buffers.size).toBeLessThanOrEqual(3);
    expect(seen.chunks).toBeGreaterThan(10);
    expect(res.connection).toBe("close");
  });

  it("keeps to the ordinary stream (and keep-alive) for small, chunked or HTTP-parsed bodies", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const small = randomBytes(100_000);
      const a = await put(small, { "content-length": String(small.length) }, agent);
      expect(a.connection).toBe("keep-alive");
      expect(seen.sha256).toBe(sha(small));
      // Chunked: no length to read up to.
      const big = randomBytes(SOCKET_BODY_MIN_BYTES + MiB);
      const b = await put(big, { "transfer-encoding": "chunked" }, agent);
      expect(b.connection).toBe("keep-alive");
      expect(seen.sha256).toBe(sha(big));
      expect(seen.buffers.size).toBeGreaterThan(10); // a buffer per chunk: the ordinary path
      // A large one on the same agent: answered with Connection: close, and the agent goes on with a new socket.
      const c = await put(big, { "content-length": String(big.length) }, agent);
      expect(c.connection).toBe("close");
      expect(seen.sha256).toBe(sha(big));
      const d = await put(small, { "content-length": String(small.length) }, agent);
      expect(d.status).toBe(200);
      expect(seen.sha256).toBe(sha(small));
    } finally {
      agent.destroy();
    }
  });

  it("answers a client that half-closes after the body, and drops a pipelined request instead of reading it as body", async () => {
    const body = randomBytes(SOCKET_BODY_MIN_BYTES + 777);
    const head = Buffer.from(`PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n`, "latin1");
    const halfClosed = await rawExchange(port, [head, ...pieces(body)], true);
    expect(halfClosed).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(halfClosed).toMatch(/\r\nConnection: close\r\n/i);
    expect(seen.sha256).toBe(sha(body));

    const next = Buffer.from("GET /next HTTP/1.1\r\nHost: t\r\n\r\n", "latin1");
    const pipelined = await rawExchange(port, [Buffer.concat([head, body, next])], false);
    expect(pipelined.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(seen.bytes).toBe(body.length);
    expect(seen.sha256).toBe(sha(body));
  });

  it("fails with a disconnect when the client goes away mid-body", async () => {
    const body = randomBytes(SOCKET_BODY_MIN_BYTES + MiB);
    const head = Buffer.from(`PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n`, "latin1");
    await rawExchange(port, [head, body.subarray(0, 3 * MiB)], true);
    await expect.poll(() => seen.error).toBe("ERR_STREAM_PREMATURE_CLOSE");
    expect(seen.bytes).toBe(3 * MiB);
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.write(head);
        socket.write(body.subarray(0, 2 * MiB), () => setTimeout(() => socket.resetAndDestroy(), 100));
      });
      socket.on("close", () => resolve());
      socket.on("error", reject);
    });
    await expect.poll(() => seen.error).toBe("ECONNRESET");
  });
});

describe.each(testDrivers)("large uploads through the socket into the filesystem store (%s)", (driver) => {
  const env = useArtifactServer(driver, "fs");
  const put = (runId: string, p: string, body: Buffer, headers: Record<string, string> = {}) =>
    rawRequest(env().srv.url, { method: "PUT", path: artifactUrl(runId, p), apiKey: env().srv.apiKey, body: pieces(body), headers: { "content-length": String(body.length), ...headers } });

  it("stores and verifies a large body, refuses a wrong digest, and leaves nothing from an aborted one", async () => {
    const srv = env().srv;
    const run = await newRun(srv, await newProject(srv));
    const body = randomBytes(SOCKET_BODY_MIN_BYTES + 3 * MiB + 99);
    const up = await put(run.id, "big.bin", body, { "x-cairn-sha256": sha(body) });
    expect(up.status, up.body.toString()).toBe(201);
    expect(up.headers.connection).toBe("close");
    expect(JSON.parse(up.body.toString())).toMatchObject({ sha256: sha(body), size: body.length });
    const down = await rawRequest(srv.url, { method: "GET", path: artifactUrl(run.id, "big.bin"), apiKey: srv.apiKey });
    expect(sha(down.body)).toBe(sha(body));

    const other = randomBytes(SOCKET_BODY_MIN_BYTES + 1);
    const wrong = await put(run.id, "wrong.bin", other, { "x-cairn-sha256": sha(body) });
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.body.toString()).code).toBe("digest_mismatch");

    const partial = await rawRequest(srv.url, {
      method: "PUT",
      path: artifactUrl(run.id, "partial.bin"),
      apiKey: srv.apiKey,
      headers: { "content-length": String(other.length) },
      body: pieces(other),
      abortAfterBytes: 4 * MiB,
    });
    expect(partial.status).toBe(0);
    await expect.poll(() => walkFiles(`${env().storeDir}/tmp`), { timeout: 5000 }).toEqual([]);
    for (const p of ["wrong.bin", "partial.bin"]) expect((await rawRequest(srv.url, { method: "GET", path: artifactUrl(run.id, p), apiKey: srv.apiKey })).status).toBe(404);
    expect(await srv.query("select path from artifacts where run_id = $1", [run.id])).toEqual([{ path: "big.bin" }]);
  });
});
