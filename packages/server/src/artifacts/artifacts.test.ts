import { createHash, randomBytes } from "node:crypto";
import net from "node:net";
import { HEAD_PROBE_MAX_BYTES } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { call, newProject, newRun } from "../../test/support.js";
import { testDrivers } from "../testing.js";
import { artifactUrl, rawRequest, testStores, useArtifactServer, walkFiles } from "./artifacts.testutil.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const MAX = 40 * 1024 * 1024;

/**
 * Sends a PUT's head and none of its body, then waits for the answer: a server that reads
 * the body before answering would wait for bytes that never come (and the test would time out).
 */
function putHeadOnly(url: string, apiKey: string, path: string, headers: Record<string, string>): Promise<{ status: number; head: string; body: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const socket = net.connect(Number(u.port), u.hostname);
    let raw = "";
    const lines = [`PUT ${path} HTTP/1.1`, `host: ${u.host}`, `authorization: Bearer ${apiKey}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    socket.on("connect", () => socket.write(`${lines.join("\r\n")}\r\n\r\n`));
    socket.on("data", (d) => (raw += d.toString("latin1")));
    socket.on("error", reject);
    // The server closes the connection after answering: the body it never read is not drained.
    socket.on("close", () => {
      const [head = "", body = ""] = raw.split("\r\n\r\n");
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), head, body, closed: true });
    });
    setTimeout(() => socket.destroy(), 10_000).unref();
  });
}

const combos = testDrivers.flatMap((d) => testStores.map((s) => [d, s] as const));

describe.each(combos)("artifacts over HTTP (%s, %s store)", (driver, store) => {
  const env = useArtifactServer(driver, store, { CAIRN_MAX_ARTIFACT_BYTES: String(MAX) });
  const put = (runId: string, p: string, body: Buffer | Buffer[], headers: Record<string, string> = {}, query = "") =>
    rawRequest(env().srv.url, { method: "PUT", path: artifactUrl(runId, p) + query, apiKey: env().srv.apiKey, body, headers });
  const get = (runId: string, p: string, headers: Record<string, string> = {}, method = "GET") =>
    rawRequest(env().srv.url, { method, path: artifactUrl(runId, p), apiKey: env().srv.apiKey, headers });
  const json = (r: { body: Buffer }) => JSON.parse(r.body.toString("utf8"));
  const storedBlobs = async () => {
    const out: string[] = [];
    for await (const k of env().srv.server()!.ctx.blobStore.list()) out.push(k.sha256);
    return out;
  };
  const tempCount = () => env().srv.server()!.ctx.blobStore.cleanTemp(0, true);

  it("round-trips a file larger than 16 MiB (multipart on S3), streamed both ways", async () => {
    const srv = env().srv;
    const run = await newRun(srv, await newProject(srv));
    const big = randomBytes(17 * 1024 * 1024 + 123);
    const chunks = Array.from({ length: Math.ceil(big.length / 65536) }, (_, i) => big.subarray(i * 65536, (i + 1) * 65536));
    const up = await put(run.id, "models/big.bin", chunks, { "x-cairn-sha256": sha(big) });
    expect(up.status, up.body.toString()).toBe(201);
    expect(json(up)).toMatchObject({ runId: run.id, path: "models/big.bin", sha256: sha(big), size: big.length, mediaType: "application/octet-stream" });
    const down = await get(run.id, "models/big.bin");
    expect(down.status).toBe(200);
    expect(down.headers["content-length"]).toBe(String(big.length));
    expect(down.headers.etag).toBe(`"${sha(big)}"`);
    expect(down.headers["accept-ranges"]).toBe("bytes");
    expect(sha(down.body)).toBe(sha(big));
    // Without a digest the S3 store goes through a temporary key and a copy.
    const up2 = await put(run.id, "models/big-copy.bin", chunks);
    expect(up2.status).toBe(201);
    expect(sha((await get(run.id, "models/big-copy.bin")).body)).toBe(sha(big));
    expect(await tempCount()).toBe(0);
  });

  it("stores identical content once across runs and projects, and is idempotent per path", async () => {
    const srv = env().srv;
    const a = await newRun(srv, await newProject(srv));
    const b = await newRun(srv, await newProject(srv));
    const content = randomBytes(5000);
    expect((await put(a.id, "x.bin", content)).status).toBe(201);
    expect((await put(b.id, "y/x.bin", content)).status).toBe(201);
    const again = await put(a.id, "x.bin", content);
    expect(again.status).toBe(200);
    expect((await storedBlobs()).filter((s) => s === sha(content))).toHaveLength(1);
    const rows = await srv.query<{ n: number }>("select count(*)::int as n from artifacts where sha256 = $1", [sha(content)]);
    expect(rows[0]!.n).toBe(2);
    // An empty file is a file too.
    const empty = await put(a.id, "empty.txt", Buffer.alloc(0), { "content-length": "0" });
    expect(empty.status, empty.body.toString()).toBe(201);
    expect(json(empty)).toMatchObject({ size: 0, sha256: sha(Buffer.alloc(0)), mediaType: "text/plain" });
    const got = await get(a.id, "empty.txt");
    expect([got.status, got.body.length, got.headers["content-length"]]).toEqual([200, 0, "0"]);
  });

  it("refuses different content at an existing path with 409 artifact_exists unless overwrite=true (audited with both digests)", async () => {
    const srv = env().srv;
    const run = await newRun(srv, await newProject(srv));
    const one = Buffer.from("one");
    const two = Buffer.from("two");
    expect((await put(run.id, "v.txt", one)).status).toBe(201);
    const clash = await put(run.id, "v.txt", two);
    expect(clash.status).toBe(409);
    expect(json(clash)).toMatchObject({ code: "artifact_exists", errors: [{ path: "path" }] });
    expect((await get(run.id, "v.txt")).body.toString()).toBe("one");
    const over = await put(run.id, "v.txt", two, {}, "?overwrite=true");
    expect(over.status).toBe(200);
    expect((await get(run.id, "v.txt")).body.toString()).toBe("two");
    const events = (await call(srv, "GET", "/api/v1/audit?limit=5")).body.events as Array<{ action: string; before: any; after: any }>;
    const ev = events.find((e) => e.action === "artifact.overwrite")!;
    expect(ev.before.sha256).toBe(sha(one));
    expect(ev.after.sha256).toBe(sha(two));
  });

  it("serves ETag/304, ranges, 416 and Content-Disposition; HEAD sends headers only", async () => {
    const srv = env().srv;
    const run = await newRun(srv, await newProject(srv));
    const content = randomBytes(1000);
    await put(run.id, "dir/r%C3%A9sum%C3%A9%20final.bin", content);
    const p = "dir/r%C3%A9sum%C3%A9%20final.bin";
    const full = await get(run.id, p);
    expect(full.headers["content-disposition"]).toBe(`attachment; filename="r_sum_ final.bin"; filename*=UTF-8''r%C3%A9sum%C3%A9%20final.bin`);
    expect(full.headers["x-content-type-options"]).toBe("nosniff");
    expect((await get(run.id, p, { "if-none-match": `"${sha(content)}"` })).status).toBe(304);
    expect((await get(run.id, p, { "if-none-match": `"${"0".repeat(64)}"` })).status).toBe(200);
    const first = await get(run.id, p, { range: "bytes=0-99" });
    expect(first.status).toBe(206);
    expect(first.headers["content-range"]).toBe("bytes 0-99/1000");
    expect(first.body.equals(content.subarray(0, 100))).toBe(true);
    const suffix = await get(run.id, p, { range: "bytes=-100" });
    expect(suffix.status).toBe(206);
    expect(suffix.body.equals(content.subarray(900))).toBe(true);
    const open = await get(run.id, p, { range: "bytes=990-" });
    expect(open.headers["content-range"]).toBe("bytes 990-999/1000");
    expect(open.body.equals(content.subarray(990))).toBe(true);
    const beyond = await get(run.id, p, { range: "bytes=1000-" });
    expect(beyond.status).toBe(416);
    expect(beyond.headers["content-range"]).toBe("bytes */1000");
    const head = await get(run.id, p, {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe("1000");
    expect(head.body.length).toBe(0);

    await put(run.id, "page.html", Buffer.from("<script>alert(1)</script>"), { "content-type": "text/html" });
    const html = await rawRequest(srv.url, { method: "GET", path: `${artifactUrl(run.id, "page.html")}?inline=true`, apiKey: srv.apiKey });
    expect(html.headers["content-disposition"]).toMatch(/^inline;/);
    expect(html.headers["content-security-policy"]).toContain("sandbox");
    expect(html.headers["content-security-policy"]).toContain("default-src 'none'");
    await put(run.id, "plot.png", Buffer.from("png"));
    expect((await get(run.id, "plot.png")).headers["content-type"]).toBe("image/png");
  });

  it("lists files and folders one level at a time, recursively, and by cursor", async () => {
    const srv = env().srv;
    const run = await newRun(srv, await newProject(srv));
    const files = ["a.txt", "models/m1.bin", "models/m2.bin", "models/sub/deep.bin", "plots/p.png", "z.txt"];
    for (const [i, f] of files.entries()) expect((await put(run.id, f, Buffer.alloc(10 * (i + 1), i))).status).toBe(201);
    const root = (await call(srv, "GET", `/api/v1/runs/${run.id}/artifacts`)).body;
    expect(root.artifacts.map((a: { path: string }) => a.path)).toEqual(["a.txt", "z.txt"]);
    expect(root.folders).toEqual([
      { path: "models/", count: 3, size: 20 + 30 + 40 },
      { path: "plots/", count: 1, size: 50 },
    ]);
    const models = (await call(srv, "GET", `/api/v1/runs/${run.id}/artifacts?prefix=models/`)).body;
    expect(models.artifacts.map((a: { path: string }) => a.path)).toEqual(["models/m1.bin", "models/m2.bin"]);
    expect(models.folders).toEqual([{ path: "models/sub/", count: 1, size: 40 }]);
    const all = (await call(srv, "GET", `/api/v1/runs/${run.id}/artifacts?recursive=true`)).body;
    expect(all.artifacts.map((a: { path: string }) => a.path)).toEqual(files);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await call(srv, "GET", `/api/v1/runs/${run.id}/artifacts?limit=2${cursor ? `&cursor=${cursor}` : ""}`)).body;
      seen.push(...page.folders.map((f: { path: string }) => f.path), ...page.artifacts.map((a: { path: string }) => a.path));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(["a.txt", "models/", "plots/", "z.txt"]);
    expect((await call(srv, "GET", `/api/v1/runs/${run.id}/artifacts?cursor=bogus`)).status).toBe(400);
    expect((await call(srv, "GET", `/api/v1/runs/${run.id}/artifacts?prefix=../x`)).status).toBe(400);
  });

  it("links files the server already has by sha256 and size, and reports the rest missing", async () => {
    const srv = env().srv;
    const a = await newRun(srv, await newProject(srv));
    const b = await newRun(srv, await newProject(srv));
    const known = randomBytes(777);
    await put(a.id, "known.bin", known);
    const unknown = randomBytes(10);
    const r = await call(srv, "POST", `/api/v1/runs/${b.id}/artifacts`, {
      artifacts: [
        { path: "k.bin", sha256: sha(known), size: known.length },
        { path: "wrong-size.bin", sha256: sha(known), size: known.length + 1 },
        { path: "u.bin", sha256: sha(unknown), size: unknown.length },
      ],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.linked.map((x: { path: string }) => x.path)).toEqual(["k.bin"]);
    expect(r.body.missing.map((x: { path: string }) => x.path)).toEqual(["wrong-size.bin", "u.bin"]);
    expect(sha((await get(b.id, "k.bin")).body)).toBe(sha(known));
    const bad = await call(srv, "POST", `/api/v1/runs/${b.id}/artifacts`, { artifacts: [{ path: "../x", sha256: sha(known), size: known.length }] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe("artifacts[0].path");
  });

  it("verifies announced digests (nothing stored on mismatch), refuses unknown runs and bodies over the cap", async () => {
    const srv = env().srv;
    const run = await newRun(srv, await newProject(srv));
    const content = Buffer.from("the real content");
    const before = await storedBlobs();
    const wrongHex = await put(run.id, "d.txt", content, { "x-cairn-sha256": sha(Buffer.from("other")) });
    expect(wrongHex.status).toBe(400);
    expect(json(wrongHex).code).toBe("digest_mismatch");
    const wrongRepr = await put(run.id, "d.txt", content, { "repr-digest": `sha-256=:${createHash("sha256").update("x").digest("base64")}:` });
    expect(wrongRepr.status).toBe(400);
    expect(await storedBlobs()).toEqual(before);
    expect((await get(run.id, "d.txt")).status).toBe(404);
    // The reservation made for the announced digest is released: the blobs table is as it was.
    expect(await srv.query("select 1 from blobs where sha256 = $1", [sha(Buffer.from("other"))])).toHaveLength(0);
    const ok = await put(run.id, "d.txt", content, { "repr-digest": `sha-256=:${createHash("sha256").update(content).digest("base64")}:` });
    expect(ok.status).toBe(201);

    expect((await put("01890000-0000-7000-8000-000000000000", "x", content)).status).toBe(404);
    expect((await put("not-a-run", "x", content)).status).toBe(404);

    const declared = await put(run.id, "huge.bin", Buffer.alloc(10), { "content-length": String(MAX + 1) });
    expect(declared.status).toBe(413);
    // Chunked (no length): refused mid-stream once past the cap.
    const chunk = Buffer.alloc(1024 * 1024, 1);
    const chunked = await put(run.id, "huge.bin", Array.from({ length: 42 }, () => chunk));
    expect([413, 0]).toContain(chunked.status);
    expect((await get(run.id, "huge.bin")).status).toBe(404);
    expect(await tempCount()).toBe(0);
  });

  it("leaves no record and no blob when the client aborts mid-body", async () => {
    const srv = env().srv;
    const run = await newRun(srv, await newProject(srv));
    const content = randomBytes(3 * 1024 * 1024);
    const before = await storedBlobs();
    for (const headers of [{ "content-length": String(content.length) } as Record<string, string>, { "content-length": String(content.length), "x-cairn-sha256": sha(content) }]) {
      await rawRequest(srv.url, { method: "PUT", path: artifactUrl(run.id, "partial.bin"), apiKey: srv.apiKey, headers, body: content, abortAfterBytes: 1024 * 1024 });
    }
    await new Promise((r) => setTimeout(r, 500));
    expect((await get(run.id, "partial.bin")).status).toBe(404);
    expect(await srv.query("select 1 from artifacts where run_id = $1", [run.id])).toHaveLength(0);
    expect(await storedBlobs()).toEqual(before);
    expect(await tempCount()).toBe(0);
    if (store === "fs") expect(walkFiles(`${env().storeDir}/tmp`)).toEqual([]);
  });

  it("a PUT with x-cairn-head-sha256 matching the project's stored content is refused before its body is read (409 content_may_exist); other projects' content is not probed", async () => {
    const srv = env().srv;
    const project = await newProject(srv);
    const [a, b] = [await newRun(srv, project), await newRun(srv, project)];
    // Longer than the probe: the head is only the first MiB.
    const content = randomBytes(HEAD_PROBE_MAX_BYTES + 4096);
    const head = sha(content.subarray(0, HEAD_PROBE_MAX_BYTES));
    expect((await put(a.id, "stored.bin", content)).status).toBe(201);
    const blobsBefore = (await storedBlobs()).sort();

    const probe = (runId: string, p: string, size: number, headSha: string) =>
      putHeadOnly(srv.url, srv.apiKey, artifactUrl(runId, p), { "content-type": "application/octet-stream", "content-length": String(size), "x-cairn-head-sha256": headSha });
    const refused = await probe(b.id, "again.bin", content.length, head.toUpperCase());
    expect(refused.status, refused.body).toBe(409);
    expect(JSON.parse(refused.body)).toMatchObject({ code: "content_may_exist", errors: [{ path: "header.x-cairn-head-sha256" }] });
    expect(refused.head).toMatch(/\r\nconnection: close\r\n/i);
    expect((await get(b.id, "again.bin")).status).toBe(404);
    expect((await storedBlobs()).sort()).toEqual(blobsBefore);
    expect(await tempCount()).toBe(0);
    // The client then asks by sha256 and the path is linked.
    const asked = await call(srv, "POST", `/api/v1/runs/${b.id}/artifacts`, { artifacts: [{ path: "again.bin", sha256: sha(content), size: content.length }] });
    expect(asked.body.linked.map((x: { sha256: string }) => x.sha256)).toEqual([sha(content)]);

    // Same size and head, different tail: refused too (the client hashes and then uploads); the full upload stores it.
    const twin = Buffer.concat([content.subarray(0, HEAD_PROBE_MAX_BYTES), randomBytes(4096)]);
    expect((await probe(b.id, "twin.bin", twin.length, head)).status).toBe(409);
    const twinUp = await put(b.id, "twin.bin", twin, { "x-cairn-sha256": sha(twin), "x-cairn-head-sha256": head });
    expect(twinUp.status, twinUp.body.toString()).toBe(201);
    expect(json(twinUp).sha256).toBe(sha(twin));

    // No candidate matches (same size, another head): read and stored as without the header. (A
    // Content-Length is given: a chunked body has no size to probe with.)
    const fresh = randomBytes(content.length);
    const freshUp = await put(b.id, "fresh.bin", fresh, { "content-length": String(fresh.length), "x-cairn-head-sha256": sha(fresh.subarray(0, HEAD_PROBE_MAX_BYTES)) });
    expect(freshUp.status, freshUp.body.toString()).toBe(201);
    expect(json(freshUp).sha256).toBe(sha(fresh));
    const small = Buffer.from("short file: the head is all of it");
    expect((await put(b.id, "small.txt", small, { "content-length": String(small.length), "x-cairn-head-sha256": sha(small) })).status).toBe(201);
    expect((await probe(a.id, "small-again.txt", small.length, sha(small))).status).toBe(409);

    // Another project: the same content is not revealed; the upload is stored (once).
    const other = await newRun(srv, await newProject(srv));
    const elsewhere = await put(other.id, "stored.bin", content, { "content-length": String(content.length), "x-cairn-head-sha256": head });
    expect(elsewhere.status, elsewhere.body.toString()).toBe(201);
    expect(json(elsewhere).sha256).toBe(sha(content));
    expect((await storedBlobs()).filter((s) => s === sha(content))).toHaveLength(1);

    // Malformed: 400 naming the header, nothing read.
    const bad = await put(b.id, "bad.bin", small, { "content-length": String(small.length), "x-cairn-head-sha256": "not-hex" });
    expect(bad.status).toBe(400);
    expect(json(bad).errors[0].path).toBe("header.x-cairn-head-sha256");
    expect((await get(b.id, "bad.bin")).status).toBe(404);
  });

  it("a head probe with more same-sized contents stored than it compares answers content_may_exist without reading them", async () => {
    const srv = env().srv;
    const run = await newRun(srv, await newProject(srv));
    const contents = Array.from({ length: 9 }, () => randomBytes(1000));
    for (const [i, c] of contents.entries()) expect((await put(run.id, `c${i}.bin`, c)).status).toBe(201);
    const unrelated = randomBytes(1000);
    const probe = await putHeadOnly(srv.url, srv.apiKey, artifactUrl(run.id, "new.bin"), { "content-length": "1000", "x-cairn-head-sha256": sha(unrelated) });
    expect(probe.status, probe.body).toBe(409);
    expect(JSON.parse(probe.body).code).toBe("content_may_exist");
    // One fewer: all compared, none matches, the upload goes through.
    await call(srv, "DELETE", `/api/v1/runs/${run.id}/artifacts/c0.bin`);
    const up = await put(run.id, "new.bin", unrelated, { "content-length": "1000", "x-cairn-head-sha256": sha(unrelated) });
    expect(up.status, up.body.toString()).toBe(201);
  });

  it("treats a soft-deleted run as missing (404) for uploads, downloads and listings until restored", async () => {
    const srv = env().srv;
    const run = await newRun(srv, await newProject(srv));
    await put(run.id, "kept.txt", Buffer.from("kept"));
    expect((await call(srv, "DELETE", `/api/v1/runs/${run.id}`)).status).toBe(200);
    expect((await put(run.id, "new.txt", Buffer.from("x"))).status).toBe(404);
    expect((await get(run.id, "kept.txt")).status).toBe(404);
    expect((await call(srv, "GET", `/api/v1/runs/${run.id}/artifacts`)).status).toBe(404);
    expect((await call(srv, "POST", `/api/v1/runs/${run.id}/restore`)).status).toBe(200);
    expect((await get(run.id, "kept.txt")).body.toString()).toBe("kept");
  });

  it("deletes a record (audited) and leaves the blob to GC", async () => {
    const srv = env().srv;
    const run = await newRun(srv, await newProject(srv));
    const content = randomBytes(64);
    await put(run.id, "gone.bin", content);
    const del = await rawRequest(srv.url, { method: "DELETE", path: artifactUrl(run.id, "gone.bin"), apiKey: srv.apiKey });
    expect(del.status).toBe(200);
    expect((await get(run.id, "gone.bin")).status).toBe(404);
    expect(await storedBlobs()).toContain(sha(content));
    const events = (await call(srv, "GET", "/api/v1/audit?limit=3")).body.events as Array<{ action: string }>;
    expect(events[0]!.action).toBe("artifact.delete");
  });
});
