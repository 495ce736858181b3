import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newProject, newRun } from "../../test/support.js";
import { testDrivers } from "../testing.js";
import { artifactUrl, rawRequest, useArtifactServer } from "./artifacts.testutil.js";
import { fileBody } from "./file-body.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream as unknown as AsyncIterable<Uint8Array>) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

describe("fileBody without a Node response (the fallback: a new buffer per chunk)", () => {
  let dir: string;
  let file: string;
  const content = randomBytes(3 * 1024 * 1024 + 17);
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-file-body-"));
    file = path.join(dir, "blob");
    fs.writeFileSync(file, content);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("property: streams exactly the requested range", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: content.length - 1 }), fc.integer({ min: 1, max: content.length }), async (start, want) => {
        const length = Math.min(want, content.length - start);
        const got = await readAll(fileBody(await fsp.open(file, "r"), start, length, undefined));
        expect(got.equals(content.subarray(start, start + length))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it("fails the stream when the file is shorter than the record says", async () => {
    await expect(readAll(fileBody(await fsp.open(file, "r"), content.length - 10, 20, undefined))).rejects.toThrow(/shorter/);
  });
});

describe.each(testDrivers)("downloads written straight to the response (%s, fs store)", (driver) => {
  const env = useArtifactServer(driver, "fs");
  const big = randomBytes(9 * 1024 * 1024 + 5);

  it("sends whole files and ranges byte for byte, with the middleware's headers, and survives a client that leaves mid-body", async () => {
    const srv = env().srv;
    const run = await newRun(srv, await newProject(srv));
    const url = artifactUrl(run.id, "big.bin");
    const put = await rawRequest(srv.url, { method: "PUT", path: url, apiKey: srv.apiKey, body: big });
    expect(put.status).toBe(201);

    const whole = await rawRequest(srv.url, { method: "GET", path: url, apiKey: srv.apiKey });
    expect(whole.status).toBe(200);
    expect(sha(whole.body)).toBe(sha(big));
    // Set after the handler by the outer middleware: they are still on a response written directly.
    expect(whole.headers["x-request-id"]).toBeTruthy();
    expect(whole.headers["x-frame-options"]).toBe("DENY");

    for (const [start, end] of [
      [0, 0],
      [1, 1024 * 1024 + 1],
      [5 * 1024 * 1024 - 3, big.length - 1],
    ] as const) {
      const r = await rawRequest(srv.url, { method: "GET", path: url, apiKey: srv.apiKey, headers: { range: `bytes=${start}-${end}` } });
      expect(r.status).toBe(206);
      expect(r.body.equals(big.subarray(start, end + 1))).toBe(true);
    }

    // A client that reads a little and goes away: the server carries on serving others.
    await new Promise<void>((resolve) => {
      const u = new URL(srv.url);
      const req = http.get({ host: u.hostname, port: u.port, path: url, headers: { authorization: `Bearer ${srv.apiKey}` }, agent: false }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => {});
    });
    await new Promise((r) => setTimeout(r, 100));
    const again = await rawRequest(srv.url, { method: "GET", path: url, apiKey: srv.apiKey });
    expect(sha(again.body)).toBe(sha(big));
  });
});
