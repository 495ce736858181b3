import fs from "node:fs";
import path from "node:path";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { normalizeArtifactPath } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { newProject, newRun } from "../../test/support.js";
import { testDrivers } from "../testing.js";
import { artifactUrl, BUCKET, PREFIX, rawRequest, testStores, useArtifactServer, walkFiles } from "./artifacts.testutil.js";

/**
 * Known traversal and confusion payloads, exactly as they go on the wire after
 * `/artifacts/` (node:http sends them unnormalised). Each must be refused with a 4xx or
 * land on a harmless, normalised name inside the run.
 */
const PAYLOADS = [
  "../secret",
  "../../etc/passwd",
  "../outside/passwd",
  "../../outside/passwd",
  "..%2foutside%2fpasswd",
  "..%2F..%2Foutside%2Fpasswd",
  "%2e%2e/outside/passwd",
  "%2e%2e%2foutside%2fpasswd",
  "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
  ".%2e/outside/passwd",
  "%2e./outside/passwd",
  "..%5coutside%5cpasswd",
  "..\\..\\outside\\passwd",
  "%5c..%5c..%5cwindows",
  "%252e%252e%252foutside%252fpasswd",
  "%252e%252e/%252e%252e/etc/passwd",
  "%25252e%25252e%25252f",
  "%25%32%65%25%32%65%25%32%66",
  "..%255c..%255cwindows",
  "..%c0%af..%c0%afetc%c0%afpasswd",
  "..%c0%ae/",
  "%c0%ae%c0%ae/etc/passwd",
  "..%e0%80%afetc",
  "%c0%2e%c0%2e%c0%2f",
  "%u002e%u002e%u2215etc",
  "/etc/passwd",
  "//etc/passwd",
  "%2fetc%2fpasswd",
  "%2f%2fserver%2fshare",
  "%5c%5cserver%5cshare%5cfile",
  "C:%5cWindows%5cwin.ini",
  "C:/Windows/win.ini",
  "c:",
  "z:%2f",
  "....//....//outside/passwd",
  "..../",
  ".../.../x",
  "..;/x",
  "..%20/x",
  "..%09/x",
  "%00",
  "a%00b",
  "passwd%00.txt",
  "a%0ab",
  "%0d%0aSet-Cookie:%20x=1",
  "%7f",
  "%c2%85next-line",
  "%e2%80%a4%e2%80%a4/x",
  "%e2%80%a5/x",
  "%ef%bc%8e%ef%bc%8e/x",
  "%ef%bc%8e%ef%bc%8e%ef%bc%8foutside",
  "a%ef%bc%8f..%ef%bc%8fb",
  "%e2%88%95etc%e2%88%95passwd",
  "%ff%fe",
  "%",
  "%2",
  "%zz",
  ".",
  "./",
  "%2e",
  "./../x",
  "a/../../b",
  "a/./../../../b",
  "a/%2e%2e/%2e%2e/b",
  "file:///etc/passwd",
  "~/.ssh/id_rsa",
  "%24HOME/.bashrc",
  "a%2Fb",
  "x".repeat(300),
  `${"d/".repeat(520)}f`,
  "%ed%a0%80",
];

const combos = testDrivers.flatMap((d) => testStores.map((s) => [d, s] as const));

describe.each(combos)("path traversal (%s, %s store)", (driver, store) => {
  const env = useArtifactServer(driver, store);

  it(`refuses or contains all ${PAYLOADS.length} payloads on upload, download and listing`, async () => {
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(50);
    const { srv, sentinel, outsideDir, storeDir } = env();
    const run = await newRun(srv, await newProject(srv));
    const req = (method: string, p: string, body?: Buffer) => rawRequest(srv.url, { method, path: p, apiKey: srv.apiKey, ...(body ? { body } : {}) });
    const stored: string[] = [];
    for (const [i, payload] of PAYLOADS.entries()) {
      const body = Buffer.from(`payload ${i}`);
      const up = await req("PUT", artifactUrl(run.id, payload), body);
      expect(up.status, `PUT ${payload}: ${up.body}`).toBeGreaterThanOrEqual(200);
      expect(up.status, `PUT ${payload}: ${up.body}`).toBeLessThan(500);
      if (up.status < 300) {
        const name = JSON.parse(up.body.toString()).path as string;
        expect(normalizeArtifactPath(name), `${payload} stored as ${name}`).toEqual({ ok: true, path: name });
        expect(name.split("/")).not.toContain("..");
        stored.push(name);
      } else {
        expect(up.status, `PUT ${payload}`).not.toBe(401);
      }
      const down = await req("GET", artifactUrl(run.id, payload));
      expect(down.status, `GET ${payload}`).toBeLessThan(500);
      expect(down.body.toString(), `GET ${payload}`).not.toContain(sentinel.content);
      if (down.status === 200) expect(down.body.toString()).toMatch(/^payload \d+$/);
      const list = await req("GET", `/api/v1/runs/${run.id}/artifacts?prefix=${payload.replaceAll("&", "%26").replaceAll("#", "%23")}&recursive=true`);
      expect(list.status, `LIST ${payload}`).toBeLessThan(500);
      expect(list.body.toString()).not.toContain(sentinel.content);
    }
    // Harmless names are kept as names inside the run: "..../" is "....", "a%2Fb" is "a/b".
    expect(stored).toEqual(expect.arrayContaining(["....", "..../..../outside/passwd", "a/b", "file:/etc/passwd"]));
    expect(stored.length).toBeLessThan(PAYLOADS.length / 4);

    // Nothing outside the store was written or read, and the store holds only content-addressed blobs.
    expect(fs.readFileSync(sentinel.file, "utf8")).toBe(sentinel.content);
    expect(fs.readdirSync(outsideDir)).toEqual(["passwd"]);
    expect(fs.readdirSync(path.dirname(storeDir)).sort()).toEqual(["outside", "store"]);
    if (store === "fs") {
      const files = walkFiles(storeDir).map((f) => path.relative(storeDir, f));
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) expect(f).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}$/);
    } else {
      const endpoint = srv.server()!.ctx.config.artifactStore;
      if (endpoint.kind !== "s3") throw new Error("expected the s3 store");
      const client = new S3Client({ region: "us-east-1", endpoint: endpoint.endpoint!, forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
      const keys = ((await client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => o.Key!);
      client.destroy();
      expect(keys.length).toBeGreaterThan(0);
      for (const k of keys) expect(k).toMatch(new RegExp(`^${PREFIX}/blobs/[0-9a-f]{64}$`));
    }
  }, 120_000);
});
