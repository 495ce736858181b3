import type { TestServer } from "@cairn/server/testing";
import { testDrivers } from "@cairn/server/testing";
import { describe, expect, it } from "vitest";
import { Cairn, ForbiddenError, NotFoundError } from "../../src/index.js";
import { CLI, pointCount, projectName, runNode, serverPerFile } from "./helpers.js";

describe.each(testDrivers)("deleting, restoring and purging (client and CLI, %s)", (driver) => {
  let srv: TestServer;
  serverPerFile(driver, (s) => (srv = s));
  const client = () => new Cairn({ url: srv.url, apiKey: srv.apiKey });
  const env = () => ({ CAIRN_URL: srv.url, CAIRN_API_KEY: srv.apiKey });

  it("client: delete hides a run, the trash lists it, restore brings it back, purge removes it; projects likewise", async () => {
    const c = client();
    const project = (await c.projects.create({ name: projectName("trash") })).name;
    const run = await c.runs.create(project, { params: { lr: 0.1 } });
    await c.metrics.log(run.id, [{ key: "loss", value: 1, step: 0 }, { key: "loss", value: 0.5, step: 1 }]);

    const deleted = await c.runs.delete(run.id);
    expect(deleted).toMatchObject({ id: run.id, purged: false });
    await expect(c.runs.get(run.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(c.metrics.log(run.id, [{ key: "loss", value: 0, step: 2 }])).rejects.toBeInstanceOf(NotFoundError);
    expect((await c.runs.search({ project })).runs).toEqual([]);
    const trash = await c.runs.search({ project, deleted: "only" });
    expect(trash.runs.map((r) => [r.id, r.purgeAt])).toEqual([[run.id, deleted.purgeAt]]);
    expect((await c.runs.get(run.id, { includeDeleted: true })).deletedAt).toBe(deleted.deletedAt);

    const restored = await c.runs.restore(run.id);
    expect(restored.params).toEqual({ lr: 0.1 });
    expect(restored.metrics.loss?.count).toBe(2);

    const purged = await c.runs.purge(run.id);
    expect(purged.removed).toMatchObject({ points: 2, series: 1 });
    expect(await pointCount(srv, run.id)).toBe(0);
    await expect(c.runs.get(run.id, { includeDeleted: true })).rejects.toBeInstanceOf(NotFoundError);

    const reader = (await c.keys.create({ name: "ro", role: "reader", projects: [project] })).secret;
    await expect(new Cairn({ url: srv.url, apiKey: reader }).projects.delete(project)).rejects.toBeInstanceOf(ForbiddenError);

    await c.projects.delete(project);
    await expect(c.projects.get(project)).rejects.toBeInstanceOf(NotFoundError);
    expect((await c.projects.list({ deleted: "only", limit: 1000 })).projects.map((p) => p.name)).toContain(project);
    expect((await c.projects.restore(project)).deletedAt).toBeNull();
    expect((await c.projects.purge(project)).purged).toBe(true);
    await expect(c.projects.get(project)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("CLI: runs delete|trash|restore|purge and projects delete|trash|restore|purge; purge needs --yes", async () => {
    const c = client();
    const project = (await c.projects.create({ name: projectName("trash-cli") })).name;
    const run = await c.runs.create(project, { name: "doomed" });
    await c.metrics.log(run.id, [{ key: "acc", value: 0.9, step: 0 }]);

    const del = await runNode([CLI, "runs", "delete", run.id], { env: env() });
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toContain(`deleted run ${run.id}`);
    const trash = await runNode([CLI, "runs", "trash", "--project", project], { env: env() });
    expect(trash.stdout).toContain(run.id);
    expect((await runNode([CLI, "runs", "restore", run.id], { env: env() })).stdout).toContain("restored run");
    expect((await c.runs.get(run.id)).name).toBe("doomed");

    const refused = await runNode([CLI, "runs", "purge", run.id], { env: env() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--yes");
    expect((await c.runs.get(run.id)).id).toBe(run.id);
    const purge = await runNode([CLI, "runs", "purge", run.id, "--yes", "--json"], { env: env() });
    expect(purge.code, purge.stderr).toBe(0);
    expect(JSON.parse(purge.stdout).removed).toMatchObject({ points: 1, series: 1 });
    expect((await runNode([CLI, "runs", "restore", run.id], { env: env() })).code).toBe(1);

    expect((await runNode([CLI, "projects", "delete", project], { env: env() })).code).toBe(0);
    expect((await runNode([CLI, "projects", "trash"], { env: env() })).stdout).toContain(project);
    expect((await runNode([CLI, "projects", "restore", project], { env: env() })).code).toBe(0);
    expect((await runNode([CLI, "projects", "purge", project], { env: env() })).code).toBe(2);
    const gone = await runNode([CLI, "projects", "purge", project, "-y"], { env: env() });
    expect(gone.code, gone.stderr).toBe(0);
    expect(gone.stdout).toContain(`purged project ${project}`);
    expect((await runNode([CLI, "projects", "list"], { env: env() })).stdout).not.toContain(project);
  });
});
