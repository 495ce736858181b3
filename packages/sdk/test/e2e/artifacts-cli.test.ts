import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { testDrivers, type TestServer } from "@cairn/server/testing";
import { describe, expect, it } from "vitest";
import { init } from "../../src/index.js";
import { CLI, projectName, runNode, serverPerFile, tmp } from "./helpers.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe.each(testDrivers)("cairn artifacts and cairn gc as child processes (%s)", (driver) => {
  let srv: TestServer;
  serverPerFile(driver, (s) => {
    srv = s;
  });
  const cli = (args: string[]) => runNode([CLI, ...args], { env: { CAIRN_URL: srv.url, CAIRN_API_KEY: srv.apiKey } });

  it("uploads a folder, lists it as a table and as JSON, downloads a file and a folder", async () => {
    const run = await init({ project: projectName("cli-art"), url: srv.url, spoolDir: tmp() });
    await run.finish();
    const dir = tmp();
    mkdirSync(join(dir, "sub"));
    const big = randomBytes(3 * 2 ** 20 + 5);
    writeFileSync(join(dir, "model.bin"), big);
    writeFileSync(join(dir, "sub", "cfg.json"), '{"lr":0.1}');

    const up = await cli(["artifacts", "upload", run.id, dir, "--prefix", "out", "--concurrency", "2"]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/uploaded 2 files \(3\.00 MiB\) to run/);
    expect(up.stderr).toBe(""); // not a TTY: no progress bar
    const again = await cli(["artifacts", "upload", run.id, join(dir, "model.bin"), "--path", "copy/model.bin"]);
    expect(again.stdout).toMatch(/sent 0 B \(the server already had the rest\)/);

    const ls = await cli(["artifacts", "ls", run.id]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout.split("\n")[0]).toMatch(/^PATH\s+SIZE\s+TYPE\s+CREATED/);
    expect(ls.stdout).toMatch(/out\/\s+3\.00 MiB\s+2 files/);
    const lsr = await cli(["artifacts", "ls", run.id, "out", "--recursive", "--json"]);
    const listed = JSON.parse(lsr.stdout) as { artifacts: Array<{ path: string; size: number }> };
    expect(listed.artifacts.map((a) => a.path).sort()).toEqual(["out/model.bin", "out/sub/cfg.json"]);

    const dest = tmp();
    const down = await cli(["artifacts", "download", run.id, "out/model.bin", join(dest, "m.bin")]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/downloaded 1 file \(3\.00 MiB, sha256 verified\)/);
    expect(sha(readFileSync(join(dest, "m.bin")))).toBe(sha(big));
    const folder = await cli(["artifacts", "download", run.id, "out/", join(dest, "all")]);
    expect(folder.code, folder.stderr).toBe(0);
    expect(readFileSync(join(dest, "all", "sub", "cfg.json"), "utf8")).toBe('{"lr":0.1}');

    const missing = await cli(["artifacts", "download", run.id, "nope.bin", join(dest, "x")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: .*not_found/m);
    const usage = await cli(["artifacts", "upload", run.id]);
    expect(usage.code).toBe(2);
    expect((await cli(["artifacts", "upload", run.id, dir, "--concurrency", "0"])).code).toBe(2);
  });

  it("gc is a dry run unless --yes, and --json prints the result", async () => {
    const dry = await cli(["gc"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/dry run: would remove \d+ unreferenced blobs? \(/);
    const json = await cli(["gc", "--dry-run", "--grace-hours", "0", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ dryRun: true });
    const real = await cli(["gc", "--yes", "--grace-hours", "1000"]);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/^removed \d+ unreferenced blob/m);
    expect((await cli(["gc", "--yes", "--dry-run"])).code).toBe(2);
  });
});
