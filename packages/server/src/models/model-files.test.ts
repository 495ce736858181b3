import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { call, newProject, newRun, useServer } from "../../test/support.js";
import { testDrivers } from "../testing.js";
import { getBytes, modelUrl, putFile, versionUrl } from "./models.testutil.js";

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

describe.each(testDrivers)("model version files (%s)", (driver) => {
  const srv = useServer(driver);

  it("lists a version's files and serves each byte for byte, with ETag, ranges and HEAD", async () => {
    const s = srv();
    const project = await newProject(s);
    const run = await newRun(s, project);
    const weights = randomBytes(300_000);
    const files: Record<string, Buffer> = { "model/weights.bin": weights, "model/tokenizer/vocab 1.txt": Buffer.from("a\nb\nc\n"), "model/empty": Buffer.alloc(0) };
    for (const [path, content] of Object.entries(files)) await putFile(s, run.id, path.split("/").map(encodeURIComponent).join("/"), content);
    const v = (await call(s, "POST", `${modelUrl(project, "m")}/versions`, { runId: run.id, artifactPath: "model" })).body;
    const list = await call(s, "GET", `${versionUrl(project, "m", 1)}/files`);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ version: 1, digest: v.digest, files: v.files });
    expect(list.body.files.map((f: { path: string }) => f.path)).toEqual(["empty", "tokenizer/vocab 1.txt", "weights.bin"]);

    for (const [path, content] of Object.entries(files)) {
      const rel = path.slice("model/".length).split("/").map(encodeURIComponent).join("/");
      const got = await getBytes(s, `${versionUrl(project, "m", "latest")}/files/${rel}`);
      expect(got.status, path).toBe(200);
      expect(sha(got.body)).toBe(sha(content));
      expect(got.headers.get("etag")).toBe(`"${sha(content)}"`);
      expect(got.headers.get("content-length")).toBe(String(content.length));
    }
    const url = `${versionUrl(project, "m", 1)}/files/weights.bin`;
    expect((await getBytes(s, url, { "if-none-match": `"${sha(weights)}"` })).status).toBe(304);
    const part = await getBytes(s, url, { range: "bytes=100-199" });
    expect(part.status).toBe(206);
    expect(part.body.equals(weights.subarray(100, 200))).toBe(true);
    expect((await getBytes(s, url, { range: "bytes=400000-" })).status).toBe(416);
    const head = await fetch(`${s.url}${url}`, { method: "HEAD", headers: { authorization: `Bearer ${s.apiKey}` } });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(weights.length));

    expect((await getBytes(s, `${versionUrl(project, "m", 1)}/files/missing.bin`)).status).toBe(404);
    expect((await getBytes(s, `${versionUrl(project, "m", 2)}/files/weights.bin`)).status).toBe(404);
    expect((await getBytes(s, `${versionUrl(project, "m", 1)}/files/..%2Fweights.bin`)).status).toBe(400);
    expect((await getBytes(s, `${versionUrl(project, "m", "first")}/files/weights.bin`)).status).toBe(400);
    const other = await newProject(s);
    const key = (await call(s, "POST", "/api/v1/keys", { name: "o", role: "admin", projects: [other] })).body;
    const foreign = await fetch(`${s.url}${url}`, { headers: { authorization: `Bearer ${key.secret}` } });
    expect(foreign.status).toBe(404);
    await foreign.arrayBuffer();
  });

  it("keeps a version's bytes when the run's artifact is overwritten or deleted", async () => {
    const s = srv();
    const project = await newProject(s);
    const run = await newRun(s, project);
    await putFile(s, run.id, "model.bin", "version one");
    const v1 = (await call(s, "POST", `${modelUrl(project, "m")}/versions`, { runId: run.id, artifactPath: "model.bin" })).body;
    await putFile(s, run.id, "model.bin", "version two", true);
    const v2 = (await call(s, "POST", `${modelUrl(project, "m")}/versions`, { runId: run.id, artifactPath: "model.bin" })).body;
    expect(v2.digest).toBe(sha("version two"));
    expect((await call(s, "DELETE", `/api/v1/runs/${run.id}/artifacts/model.bin`)).status).toBe(200);

    expect((await call(s, "GET", versionUrl(project, "m", 1))).body).toEqual(v1);
    expect(v1.digest).toBe(sha("version one"));
    expect((await getBytes(s, `${versionUrl(project, "m", 1)}/files/model.bin`)).body.toString()).toBe("version one");
    expect((await getBytes(s, `${versionUrl(project, "m", 2)}/files/model.bin`)).body.toString()).toBe("version two");
  });

  it("survives the purge of its run and garbage collection: the blob stays, the version still downloads, run_id becomes null", async () => {
    const s = srv();
    const project = await newProject(s);
    const run = await newRun(s, project);
    const kept = randomBytes(5000);
    const dropped = randomBytes(4000);
    await putFile(s, run.id, "model/weights.bin", kept);
    await putFile(s, run.id, "scratch.bin", dropped);
    const v = (await call(s, "POST", `${modelUrl(project, "m")}/versions`, { runId: run.id, artifactPath: "model" })).body;
    expect((await call(s, "DELETE", `/api/v1/runs/${run.id}?purge=true`)).status).toBe(200);
    const dry = (await call(s, "POST", "/api/v1/admin/gc", { dryRun: true, graceHours: 0, purgeExpired: false })).body.blobs.map((b: { sha256: string }) => b.sha256);
    expect(dry).toContain(sha(dropped));
    expect(dry).not.toContain(sha(kept));
    const gc = await call(s, "POST", "/api/v1/admin/gc", { dryRun: false, graceHours: 0, purgeExpired: false });
    expect(gc.status, JSON.stringify(gc.body)).toBe(200);
    const collected = gc.body.blobs.map((b: { sha256: string }) => b.sha256);
    expect(collected).toContain(sha(dropped)); // GC did run: the run's other file is gone
    expect(collected).not.toContain(sha(kept));

    const after = (await call(s, "GET", versionUrl(project, "m", 1))).body;
    expect(after).toEqual({ ...v, runId: null });
    const got = await getBytes(s, `${versionUrl(project, "m", 1)}/files/weights.bin`);
    expect(got.status).toBe(200);
    expect(got.body.equals(kept)).toBe(true);
  });
});
