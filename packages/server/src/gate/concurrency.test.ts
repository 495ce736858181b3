import { describe, expect, it } from "vitest";
import { call, newProject, useServer } from "../../test/support.js";
import { testDrivers } from "../testing.js";
import { modelSetup } from "./gate.testutil.js";

describe.each(testDrivers)("concurrent promotions (%s)", (driver) => {
  const srv = useServer(driver);

  it("serialise: 20 at once leave a history where each move starts where the previous one ended", async () => {
    const admin = srv();
    const project = await newProject(admin);
    const m = await modelSetup(admin, project);
    const versions: number[] = [];
    for (let i = 0; i < 4; i++) versions.push(await m.register());
    await call(admin, "PUT", `${m.url}/policy`, { alias: "production", rules: [{ metric: "accuracy", dataset: "test", notWorseThan: "production", tolerance: 1 }] });
    for (const v of versions) await m.checks(v, { accuracy: 0.9 });
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call(admin, "PUT", m.alias("production"), { version: versions[i % versions.length], reason: `attempt ${i}` })),
    );
    for (const r of replies) expect(r.status, JSON.stringify(r.body)).toBe(200);

    const { body: alias } = await call(admin, "GET", m.alias("production"));
    const moves = [...alias.history].reverse(); // oldest first
    expect(moves[0].fromVersion).toBeNull();
    for (let i = 1; i < moves.length; i++) expect(moves[i].fromVersion, `move ${i}`).toBe(moves[i - 1].toVersion);
    expect(alias.version).toBe(moves[moves.length - 1].toVersion);

    // Each evaluation saw the holder the previous promotion left: moves are exactly the evaluations that changed it.
    const evaluations = (await call(admin, "GET", `${m.url}/evaluations?limit=100`)).body.evaluations;
    expect(evaluations).toHaveLength(20);
    const changed = evaluations.filter((e: any) => e.currentVersion !== e.version).map((e: any) => e.id).sort();
    expect(moves.map((mv: any) => mv.evaluationId).sort()).toEqual(changed);
    const chain = [...evaluations].sort((a: any, b: any) => (a.id < b.id ? -1 : 1));
    for (let i = 1; i < chain.length; i++) expect(chain[i].currentVersion, `evaluation ${i}`).toBe(chain[i - 1].version);
  });
});
