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
});
