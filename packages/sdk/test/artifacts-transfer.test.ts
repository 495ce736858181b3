import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CairnNetworkError, NotFoundError } from "../src/client/errors.js";
import { hashFile } from "../src/artifacts/node/files.js";
import { getToFile, putFile } from "../src/artifacts/node/http-stream.js";
import { rawGet } from "../src/artifacts/node/raw-get.js";

// The transfer paths against real sockets: a node:http server for well-formed answers, a raw
// TCP server to send exactly the bytes (framing, splits, early closes) a proxy or a broken
// server might.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cairn-transfer-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function listen(server: http.Server | net.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

/** A TCP server that answers every connection with `reply` (written in the given pieces, then closed). */
async function rawServer(reply: (request: string) => Buffer[], closeAfter = true): Promise<{ url: string; close(): void }> {
  const server = net.createServer((sock) => {
    let req = "";
    sock.on("data", async (d) => {
      req += d.toString("latin1");
      if (!req.includes("\r\n\r\n")) return;
      for (const piece of reply(req)) {
        sock.write(piece);
        await new Promise((r) => setTimeout(r, 1));
      }
      if (closeAfter) sock.end();
    });
    sock.on("error", () => {});
  });
  const url = await listen(server);
  return { url, close: () => server.close() };
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const conn = (url: string) => ({ url, apiKey: "k" });

describe("downloads over a raw socket (http:)", () => {
  it("property: any split of head and body across reads gives the exact bytes, digest and size", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200_000 }), fc.array(fc.integer({ min: 1, max: 70_000 }), { maxLength: 6 }), async (bytes, cuts) => {
        const body = Buffer.from(bytes);
        const whole = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nETag: "${sha(body)}"\r\n\r\n`), body]);
        const pieces: Buffer[] = [];
        let at = 0;
        for (const c of cuts) {
          if (at >= whole.length) break;
          pieces.push(whole.subarray(at, at + c));
          at += c;
        }
        pieces.push(whole.subarray(at));
        const srv = await rawServer(() => pieces);
        try {
          const file = join(dir, "split.bin");
          const got = await getToFile(conn(srv.url), "/x", file, () => {});
          expect(got).toEqual({ sha256: sha(body), size: body.length, etag: sha(body) });
          expect((await readFile(file)).equals(body)).toBe(true);
        } finally {
          srv.close();
        }
      }),
      { numRuns: 25 },
    );
  });

  it("sends the API key, and a 64 MiB body through the worker hash arrives whole (backpressure pauses the socket)", async () => {
    const body = randomBytes(64 * 2 ** 20);
    let auth: string | undefined;
    const server = http.createServer((req, res) => {
      auth = req.headers.authorization;
      res.writeHead(200, { "content-length": body.length, etag: `"${sha(body)}"` });
      res.end(body);
    });
    const url = await listen(server);
    try {
      const file = join(dir, "big.bin");
      let last = 0;
      const got = await getToFile(conn(url), "/big", file, (n) => (last = n));
      expect(auth).toBe("Bearer k");
      expect(got.sha256).toBe(sha(body));
      expect(last).toBe(body.length);
      expect((await stat(file)).size).toBe(body.length);
    } finally {
      server.close();
    }
  });

  it("turns an error answer into the SDK's typed error, reading its problem+json body", async () => {
    const problem = JSON.stringify({ type: "about:blank", title: "Not Found", status: 404, code: "not_found", detail: "no artifact at x" });
    const srv = await rawServer(() => [Buffer.from(`HTTP/1.1 404 Not Found\r\nContent-Type: application/problem+json\r\nContent-Length: ${problem.length}\r\n\r\n${problem}`)]);
    try {
      const file = join(dir, "missing.bin");
      await expect(getToFile(conn(srv.url), "/x", file, () => {})).rejects.toBeInstanceOf(NotFoundError);
      await expect(stat(file)).rejects.toThrow(); // an answer that is not the file creates nothing
    } finally {
      srv.close();
    }
  });

  it("falls back to node:http for a chunked answer, and still gets the bytes", async () => {
    const body = randomBytes(100_000);
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(200, { "transfer-encoding": "chunked" });
      res.write(body.subarray(0, 50_000));
      res.end(body.subarray(50_000));
    });
    const url = await listen(server);
    try {
      const got = await getToFile(conn(url), "/c", join(dir, "chunked.bin"), () => {});
      expect(got.sha256).toBe(sha(body));
      expect(requests).toBe(2);
    } finally {
      server.close();
    }
  });

  it("reports a body cut short as a (retryable) network error", async () => {
    const srv = await rawServer(() => [Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"), Buffer.alloc(400, 1)]);
    try {
      await expect(getToFile(conn(srv.url), "/x", join(dir, "short.bin"), () => {})).rejects.toBeInstanceOf(CairnNetworkError);
    } finally {
      srv.close();
    }
  });

  it("refuses a reply that is not HTTP, and times out a silent server", async () => {
    const junk = await rawServer(() => [Buffer.from("SSH-2.0-OpenSSH\r\n\r\n")]);
    const silent = net.createServer(() => {});
    const silentUrl = await listen(silent);
    try {
      await expect(getToFile(conn(junk.url), "/x", join(dir, "junk.bin"), () => {})).rejects.toThrow(/not an HTTP/);
      await expect(rawGet(new URL(`${silentUrl}/x`), {}, { onHead: () => {}, onBody: () => undefined }, 200)).rejects.toThrow(/no progress/);
    } finally {
      junk.close();
      silent.close();
    }
  });
});

describe("uploads from reused buffers", () => {
  it("PUTs the exact file with its length and digest header, reporting every byte", async () => {
    for (const size of [0, 1, 4 * 2 ** 20 - 1, 4 * 2 ** 20, 9 * 2 ** 20 + 7]) {
      const body = randomBytes(size);
      const file = join(dir, `up-${size}.bin`);
      await writeFile(file, body);
      let received = Buffer.alloc(0);
      let headers: http.IncomingHttpHeaders = {};
      const server = http.createServer(async (req, res) => {
        headers = req.headers;
        const parts: Buffer[] = [];
        for await (const c of req) parts.push(c as Buffer);
        received = Buffer.concat(parts);
        res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
      });
      const url = await listen(server);
      try {
        let sent = 0;
        const out = await putFile(conn(url), "/up", { localPath: file, size, sha256: sha(body), mediaType: "application/octet-stream" }, (n) => (sent += n));
        expect(out).toEqual({ status: 201, body: { ok: true } });
        expect(received.equals(body)).toBe(true);
        expect(headers["content-length"]).toBe(String(size));
        expect(headers["x-cairn-sha256"]).toBe(sha(body));
        expect(sent).toBe(size);
        expect(await hashFile(file)).toEqual({ sha256: sha(body), size });
      } finally {
        server.close();
      }
    }
  });

  it("stops reading the file when the server answers early, and rejects with its error", async () => {
    const file = join(dir, "early.bin");
    await writeFile(file, randomBytes(32 * 2 ** 20));
    const server = http.createServer((_req, res) => {
      const problem = JSON.stringify({ title: "Conflict", status: 409, code: "artifact_exists", detail: "exists" });
      res.writeHead(409, { "content-type": "application/problem+json", "content-length": problem.length, connection: "close" }).end(problem);
    });
    const url = await listen(server);
    try {
      let sent = 0;
      await expect(putFile(conn(url), "/up", { localPath: file, size: 32 * 2 ** 20, sha256: undefined, mediaType: "x/y" }, (n) => (sent += n))).rejects.toMatchObject({ status: 409 });
      expect(sent).toBeLessThan(32 * 2 ** 20);
    } finally {
      server.close();
    }
  });
});
