import { startTestServer, type TestServer } from "@cairn/server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cairn, UnauthorizedError } from "../../src/index.js";
import { CLI, runNode } from "./helpers.js";

describe("keys and whoami (CLI and client)", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("creates a scoped key once, uses it, lists it and revokes it", async () => {
    const admin = { CAIRN_URL: srv.url, CAIRN_API_KEY: srv.apiKey };
    const created = await runNode([CLI, "keys", "create", "--name", "ci", "--role", "writer", "--project", "penguins", "--json"], { env: admin });
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; secret: string };
    expect(key.secret).toMatch(/^cairn_/);

    const who = await runNode([CLI, "whoami"], { env: { CAIRN_URL: srv.url, CAIRN_API_KEY: key.secret } });
    expect(who.stdout).toContain("writer on penguins");
    const listed = await runNode([CLI, "keys", "list"], { env: admin });
    expect(listed.stdout).toContain(key.id);
    expect(listed.stdout).not.toContain(key.secret);

    const revoked = await runNode([CLI, "keys", "revoke", key.id], { env: admin });
    expect(revoked.code).toBe(0);
    const after = await runNode([CLI, "whoami"], { env: { CAIRN_URL: srv.url, CAIRN_API_KEY: key.secret } });
    expect(after.code).toBe(1);
    await expect(new Cairn({ url: srv.url, apiKey: key.secret }).whoami()).rejects.toBeInstanceOf(UnauthorizedError);
    expect((await runNode([CLI, "keys", "create", "--name", "x", "--role", "boss", "--project", "p"], { env: admin })).code).toBe(2);
  });

  it("verifies and exports the audit log, and names a tampered event", async () => {
    const admin = { CAIRN_URL: srv.url, CAIRN_API_KEY: srv.apiKey };
    const ok = await runNode([CLI, "audit", "verify"], { env: admin });
    expect(ok.code, ok.stderr).toBe(0);
    const exported = await runNode([CLI, "audit", "export"], { env: admin });
    expect(exported.code).toBe(0);
    const lines = exported.stdout.trim().split("\n").map((l) => JSON.parse(l) as { seq: number; hash: string; prevHash: string });
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.prevHash).toBe(lines[i - 1]!.hash);
    const victim = lines[1]!.seq;
    await srv.query(`update audit_events set action = 'tampered' where seq = $1`, [victim]);
    const broken = await runNode([CLI, "audit", "verify", "--json"], { env: admin });
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout).firstBroken.seq).toBe(victim);
  });
});
