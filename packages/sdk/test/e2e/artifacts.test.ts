import { createHash, randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { testDrivers, type TestServer } from "@cairn/server/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CairnError, ConflictError, init, NotFoundError, type SdkErrorEvent, type TransferProgress } from "../../src/index.js";
import { Cairn } from "../../src/client/cairn.js";
import { transferDigests } from "../../src/artifacts/node/digests.js";
import { SPECULATIVE_MIN_BYTES } from "../../src/artifacts/node/speculative-upload.js";
import { type CountingProxy, startCountingProxy } from "./artifacts-proxy.js";
import { projectName, serverPerFile, tmp } from "./helpers.js";

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const MiB = 2 ** 20;
/** Paths the test logged (init() may add its own under `_cairn/`, e.g. the git diff of a dirty checkout). */
const mine = (xs: Array<{ path: string }>) => xs.map((x) => x.path).filter((p) => !p.startsWith("_cairn/"));

function randomFile(dir: string, name: string, bytes: number): { file: string; data: Buffer } {
  const data = randomBytes(bytes);
  const file = join(dir, name);
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, data);
  return { file, data };
}

describe.each(testDrivers)("artifacts through the SDK against the real server (%s)", (driver) => {
  let srv: TestServer;
  let client: Cairn;
  let proxy: CountingProxy;
  serverPerFile(driver, (s) => {
    srv = s;
    client = new Cairn({ url: s.url });
  });
  beforeAll(async () => {
    proxy = await startCountingProxy(srv.port);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  const newRun = (opts: { url?: string; project?: string; onError?: (e: SdkErrorEvent) => void } = {}) =>
    init({ project: opts.project ?? projectName("artifacts"), url: opts.url ?? srv.url, spoolDir: tmp(), ...(opts.onError ? { onError: opts.onError } : {}) });

  it("logArtifact, logJSON and logText round-trip byte for byte with their media types", async () => {
    const run = await newRun();
    const dir = tmp();
    const { file, data } = randomFile(dir, "weights.bin", 3 * MiB + 17);
    const a = await run.logArtifact(file, { path: "models/final/weights.bin" });
    expect(a).toMatchObject({ runId: run.id, path: "models/final/weights.bin", size: data.length, sha256: sha(data) });
    const j = await run.logJSON("eval/metrics.json", { acc: 0.93, classes: ["a", "b"] });
    expect(j.mediaType).toMatch(/json/);
    const t = await run.logText("notes/readme.md", "# héllo\n");
    expect(t.size).toBe(Buffer.byteLength("# héllo\n"));
    await run.finish();

    const out = tmp();
    const got = await client.artifacts.download(run.id, "models/final/weights.bin", join(out, "w.bin"));
    expect(got.files[0]).toMatchObject({ size: data.length, sha256: sha(data) });
    expect(readFileSync(join(out, "w.bin")).equals(data)).toBe(true);
    await client.artifacts.download(run.id, "eval/metrics.json", out); // into a directory: keeps the name
    expect(JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"))).toEqual({ acc: 0.93, classes: ["a", "b"] });
    await client.artifacts.download(run.id, "notes/readme.md", join(out, "r.md"));
    expect(readFileSync(join(out, "r.md"), "utf8")).toBe("# héllo\n");
    expect(readdirSync(out).filter((f) => f.includes(".part"))).toEqual([]);

    const root = await client.artifacts.list(run.id);
    expect(mine(root.folders).sort()).toEqual(["eval/", "models/", "notes/"]);
    const all = await client.artifacts.listAll(run.id, { recursive: true });
    expect(mine(all.artifacts).sort()).toEqual(["eval/metrics.json", "models/final/weights.bin", "notes/readme.md"]);
  });

  it("logArtifacts uploads a tree (symlinks only inside it, ignore rules), and a folder downloads whole", async () => {
    const run = await newRun();
    const dir = tmp();
    const files = ["a.txt", "sub/b.bin", "sub/deep/c.json", "cache/skip.tmp", "x.tmp"];
    const data = new Map(files.map((f) => [f, randomFile(dir, f, 1000 + f.length).data]));
    const outside = randomFile(tmp(), "secret.txt", 50);
    symlinkSync(outside.file, join(dir, "leak.txt"));
    symlinkSync(join(dir, "a.txt"), join(dir, "alias.txt"));
    const skipped: string[] = [];
    const arts = await run.logArtifacts(dir, { prefix: "ckpt", ignore: ["*.tmp", "cache/"] });
    expect(arts.map((a) => a.path).sort()).toEqual(["ckpt/a.txt", "ckpt/alias.txt", "ckpt/sub/b.bin", "ckpt/sub/deep/c.json"]);
    const noLeak = await client.artifacts.upload(run.id, dir, { prefix: "again", ignore: (p) => p.startsWith("sub"), onSkip: (p) => skipped.push(p) });
    expect(noLeak.map((a) => a.path).sort()).toEqual(["again/a.txt", "again/alias.txt", "again/cache/skip.tmp", "again/x.tmp"]);
    expect(skipped).toEqual([join(dir, "leak.txt")]);
    await run.finish();

    const out = join(tmp(), "restored");
    const res = await client.artifacts.download(run.id, "ckpt", out); // no trailing slash: found as a folder
    expect(res.files).toHaveLength(4);
    for (const f of ["a.txt", "sub/b.bin", "sub/deep/c.json"]) expect(readFileSync(join(out, f)).equals(data.get(f)!), f).toBe(true);
    expect(readFileSync(join(out, "alias.txt")).equals(data.get("a.txt")!)).toBe(true);
  });

  it("a second upload of the same content sends no file bytes (counted on the wire), PUTs at most `concurrency` at once", async () => {
    const dir = tmp();
    const sizes = [2, 2, 2, 2, 2, 2].map((m, i) => randomFile(dir, `f${i}.bin`, m * MiB + i));
    const total = sizes.reduce((s, f) => s + f.data.length, 0);
    const viaProxy = new Cairn({ url: proxy.url });
    const run1 = await newRun();
    proxy.reset();
    proxy.throttle = 64 * MiB; // slow enough that uploads overlap
    const inFlight = new Set<string>();
    let maxSeen = 0;
    const onProgress = (p: TransferProgress) => {
      if (p.bytes < p.total) inFlight.add(p.path);
      else inFlight.delete(p.path);
      maxSeen = Math.max(maxSeen, inFlight.size);
    };
    await viaProxy.artifacts.upload(run1.id, dir, { concurrency: 2, onProgress });
    proxy.throttle = 0;
    expect(proxy.puts).toBe(6);
    expect(proxy.maxConcurrentPuts).toBe(2);
    expect(maxSeen).toBeLessThanOrEqual(2);
    expect(proxy.bytesUp).toBeGreaterThan(total);

    // Same files into another run (and again into the same one): linked by sha256, no PUT.
    const run2 = await newRun();
    proxy.reset();
    const again = await viaProxy.artifacts.upload(run2.id, dir, { concurrency: 2 });
    expect(again).toHaveLength(6);
    expect(proxy.puts).toBe(0);
    expect(proxy.bytesUp).toBeLessThan(20_000);
    proxy.reset();
    await viaProxy.artifacts.upload(run1.id, dir);
    expect(proxy.puts).toBe(0);
    expect((await client.artifacts.listAll(run2.id)).artifacts.filter((a) => !a.path.startsWith("_cairn/")).map((a) => a.sha256).sort()).toEqual(sizes.map((s) => sha(s.data)).sort());
    await Promise.all([run1.finish(), run2.finish()]);
  });

  /** Large files the SDK hashes (every file hash opens one of these worker-backed digests), by size. */
  const hashedSizes = () => {
    const sizes: number[] = [];
    const open = transferDigests.open.bind(transferDigests);
    const spy = vi.spyOn(transferDigests, "open").mockImplementation((expected?: number) => {
      if ((expected ?? 0) >= SPECULATIVE_MIN_BYTES) sizes.push(expected!);
      return open(expected);
    });
    return { sizes, restore: () => spy.mockRestore() };
  };

  it("a new large file is sent without the SDK hashing it; into another run of the project it is linked, its body not sent; another project's copy is not revealed", async () => {
    const dir = tmp();
    const { file, data } = randomFile(dir, "big.bin", SPECULATIVE_MIN_BYTES + 3 * MiB);
    const viaProxy = new Cairn({ url: proxy.url });
    const project = projectName("artifacts");
    const [run1, run2, run3] = [await newRun({ project }), await newRun({ project }), await newRun()];
    const hashed = hashedSizes();
    try {
      proxy.reset();
      const [first] = await viaProxy.artifacts.upload(run1.id, file);
      expect(first).toMatchObject({ path: "big.bin", size: data.length, sha256: sha(data) });
      expect(proxy.puts).toBe(1);
      expect(proxy.bytesUp).toBeGreaterThan(data.length);
      expect(hashed.sizes).toEqual([]);

      // Same content into another run of the same project: the server recognises the head, the SDK hashes and links.
      proxy.reset();
      const progress: TransferProgress[] = [];
      const [again] = await viaProxy.artifacts.upload(run2.id, file, { onProgress: (p) => progress.push(p) });
      expect(again).toMatchObject({ runId: run2.id, path: "big.bin", sha256: sha(data) });
      expect(hashed.sizes).toEqual([data.length]);
      expect(proxy.puts).toBe(1);
      // What the socket buffers took before the 409 came back: far from the file.
      expect(proxy.bytesUp).toBeLessThan(data.length / 4);
      expect(progress.at(-1)).toMatchObject({ linked: true, bytes: data.length });

      // Another project: no 409 (the probe does not look outside the project), the whole file travels, the server keeps one blob.
      proxy.reset();
      const [elsewhere] = await viaProxy.artifacts.upload(run3.id, file);
      expect(elsewhere).toMatchObject({ runId: run3.id, sha256: sha(data) });
      expect(proxy.bytesUp).toBeGreaterThan(data.length);
      expect(hashed.sizes).toEqual([data.length]);
      const stored = await srv.query<{ n: number }>("select count(*)::int as n from blobs where sha256 = $1", [sha(data)]);
      expect(stored[0]!.n).toBe(1);
    } finally {
      hashed.restore();
    }
    const out = tmp();
    await client.artifacts.download(run2.id, "big.bin", join(out, "big.bin"));
    expect(sha(readFileSync(join(out, "big.bin")))).toBe(sha(data));
    await Promise.all([run1.finish(), run2.finish(), run3.finish()]);
  }, 60_000);

  it("a large file with the same size and first MiB as stored content, but not the same, is hashed after the 409 and uploaded", async () => {
    const dir = tmp();
    const { file, data } = randomFile(dir, "v1.bin", SPECULATIVE_MIN_BYTES + 2 * MiB);
    const twin = Buffer.concat([data.subarray(0, MiB), randomBytes(data.length - MiB)]);
    writeFileSync(join(dir, "v2.bin"), twin);
    const project = projectName("artifacts");
    const run = await newRun({ project });
    await client.artifacts.upload(run.id, file);
    const hashed = hashedSizes();
    try {
      const viaProxy = new Cairn({ url: proxy.url });
      proxy.reset();
      const [up] = await viaProxy.artifacts.upload(run.id, join(dir, "v2.bin"));
      expect(up).toMatchObject({ path: "v2.bin", size: twin.length, sha256: sha(twin) });
      expect(hashed.sizes).toEqual([twin.length]);
      expect(proxy.puts).toBe(2); // refused at the head, then sent with its sha256
      expect(proxy.bytesUp).toBeGreaterThan(twin.length);
    } finally {
      hashed.restore();
    }
    await run.finish();
  }, 60_000);

  it("a large file written to while it is sent unhashed is reported as changed", async () => {
    const dir = tmp();
    const { file } = randomFile(dir, "hot.bin", SPECULATIVE_MIN_BYTES + MiB);
    const run = await newRun();
    let touched = false;
    const up = client.artifacts.upload(run.id, file, {
      onProgress: (p) => {
        if (!touched && p.bytes > 0) {
          touched = true;
          // Same size, new bytes near the end: only the metadata can tell (nothing was hashed).
          const fd = openSync(file, "r+");
          writeSync(fd, Buffer.from("changed"), 0, 7, p.total - 100);
          closeSync(fd);
        }
      },
    });
    await expect(up).rejects.toThrow(/changed while it was being uploaded/);
    expect(touched).toBe(true);
    await run.finish();
  }, 60_000);

  it("an upload survives a server restart mid-transfer (retried, file re-read)", async () => {
    const run = await newRun();
    const { file, data } = randomFile(tmp(), "big.bin", 24 * MiB);
    const viaProxy = new Cairn({ url: proxy.url });
    proxy.reset();
    proxy.throttle = 12 * MiB;
    let restarted: Promise<void> | undefined;
    const up = viaProxy.artifacts.upload(run.id, file, {
      path: "big.bin",
      retryWindowMs: 30_000,
      onProgress: (p) => {
        if (!restarted && p.bytes > 4 * MiB) {
          restarted = (async () => {
            // Cut the transfer (a graceful stop would let it finish), then restart the server.
            proxy.dropAll();
            await srv.stop();
            await new Promise((r) => setTimeout(r, 700));
            await srv.start();
          })();
        }
      },
    });
    const [a] = await up;
    proxy.throttle = 0;
    await restarted;
    expect(a).toMatchObject({ path: "big.bin", size: data.length, sha256: sha(data) });
    expect(proxy.puts).toBeGreaterThanOrEqual(2);
    const out = join(tmp(), "big.bin");
    await client.artifacts.download(run.id, "big.bin", out);
    expect(sha(readFileSync(out))).toBe(sha(data));
    await run.finish();
  });

  it("a download that arrives corrupted is refused and leaves the destination as it was", async () => {
    const run = await newRun();
    const { file } = randomFile(tmp(), "m.bin", 1 * MiB);
    await run.logArtifact(file);
    await run.finish();
    const dest = join(tmp(), "m.bin");
    writeFileSync(dest, "previous version");
    proxy.corruptAt = 50_000;
    await expect(new Cairn({ url: proxy.url }).artifacts.download(run.id, "m.bin", dest)).rejects.toThrow(/sha256/);
    expect(readFileSync(dest, "utf8")).toBe("previous version");
    expect(readdirSync(join(dest, "..")).filter((f) => f.includes(".part"))).toEqual([]);
    await expect(client.artifacts.download(run.id, "nope.bin", join(tmp(), "x"))).rejects.toBeInstanceOf(NotFoundError);
  });

  it("finish() waits for uploads nobody awaited; failures are reported, awaited ones reject typed", async () => {
    const events: SdkErrorEvent[] = [];
    const run = await newRun({ url: proxy.url, onError: (e) => events.push(e) });
    const { file, data } = randomFile(tmp(), "late.bin", 6 * MiB);
    proxy.throttle = 8 * MiB;
    void run.logArtifact(file); // not awaited
    void run.logArtifact(join(tmp(), "missing.bin")); // fails, not awaited: reported, no unhandled rejection
    await run.finish();
    proxy.throttle = 0;
    const listed = await client.artifacts.listAll(run.id);
    expect(listed.artifacts.find((a) => a.path === "late.bin")).toMatchObject({ size: data.length, sha256: sha(data) });
    expect(events.map((e) => e.op).join()).toContain("missing.bin");

    const run2 = await newRun({ onError: (e) => events.push(e) });
    await run2.logText("a.txt", "one");
    const before = events.length;
    await expect(run2.logText("a.txt", "two")).rejects.toBeInstanceOf(ConflictError);
    expect(events.length).toBe(before); // awaited: the caller handles it
    const replaced = await run2.logText("a.txt", "two", { overwrite: true });
    expect(replaced.sha256).toBe(sha("two"));
    await expect(run2.logArtifact(join(tmp(), "absent"))).rejects.toBeInstanceOf(CairnError);
    await run2.finish();
    await expect(run2.logText("late.txt", "x")).rejects.toThrow(/after finish/);
    expect(existsSync(file)).toBe(true);
  });

  it("delete removes an artifact from the run", async () => {
    const run = await newRun();
    await run.logText("tmp/a.txt", "a");
    await run.logText("tmp/b.txt", "b");
    await client.artifacts.delete(run.id, "tmp/a.txt");
    expect((await client.artifacts.listAll(run.id, { prefix: "tmp", recursive: true })).artifacts.map((a) => a.path)).toEqual(["tmp/b.txt"]);
    await run.finish();
  });
});
