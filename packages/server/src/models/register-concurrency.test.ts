import { describe, expect, it } from "vitest";
import { call, newProject, newRun, useServer } from "../../test/support.js";
import { testDrivers } from "../testing.js";
import { modelUrl, putFile } from "./models.testutil.js";

describe.each(testDrivers)("concurrent registrations (%s)", (driver) => {
  const srv = useServer(driver);

  // Found by the reliability suite's concurrency scenario: a registration that created its
  // model took the global audit lock first and then waited for the blob row that another
  // registration of the same file held while that one waited for the audit lock — PostgreSQL
  // broke the cycle by failing one of them (a 500). On PostgreSQL these rounds deadlocked
  // within a few tries; PGlite serialises transactions, so there it checks the outcome only.
  it("of one file into existing and new models all succeed, numbered 1..n per model, one audit event each", async () => {
    const s = srv();
    const project = await newProject(s);
    const run = await newRun(s, project, { name: "source" });
    await putFile(s, run.id, "model.bin", "the same weights for every model");
    await call(s, "POST", `/api/v1/projects/${project}/models`, { name: "existing" });
    const rounds = 4;
    const perRound = 12;
    for (let round = 0; round < rounds; round++) {
      const replies = await Promise.all(
        Array.from({ length: perRound }, (_, i) =>
          call(s, "POST", `${modelUrl(project, i % 2 === 0 ? "existing" : `new-${round}-${i % 3}`)}/versions`, { runId: run.id, artifactPath: "model.bin" }),
        ),
      );
      for (const r of replies) expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const existing = (await call(s, "GET", `${modelUrl(project, "existing")}/versions?limit=100`)).body.versions.map((v: { version: number }) => v.version);
    expect(existing.sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: (rounds * perRound) / 2 }, (_, i) => i + 1));
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < 3; k++) {
        const versions = (await call(s, "GET", `${modelUrl(project, `new-${round}-${k}`)}/versions?limit=100`)).body.versions.map((v: { version: number }) => v.version);
        expect(versions.sort((a: number, b: number) => a - b)).toEqual([1, 2]);
      }
    }
    const events = (await call(s, "GET", `/api/v1/audit?limit=1000&project=${project}`)).body.events as Array<{ action: string }>;
    const count = (action: string) => events.filter((e) => e.action === action).length;
    expect(count("model_version.create")).toBe(rounds * perRound);
    expect(count("model.create")).toBe(1 + rounds * 3);
    expect((await call(s, "GET", "/api/v1/audit/verify")).body.ok).toBe(true);
  });
});
