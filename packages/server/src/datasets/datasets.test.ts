import { describe, expect, it } from "vitest";
import { call, newProject, newRun, postRaw, useServer } from "../../test/support.js";
import { testDrivers } from "../testing.js";
import { digestOf, versionBody, wideBody } from "./dataset-fixtures.testutil.js";

const versionsUrl = (project: string, name: string) => `/api/v1/projects/${project}/datasets/${encodeURIComponent(name)}/versions`;

describe.each(testDrivers)("dataset versions (%s)", (driver) => {
  const srv = useServer(driver);

  it("the same digest is the same version; new data gets the next number; lookups by number, latest and digest", async () => {
    const s = srv();
    const project = await newProject(s);
    const name = "fraud/transactions.v2"; // a `/` travels as %2F
    const first = await call(s, "POST", versionsUrl(project, name), versionBody("a", 3, { description: "card payments" }));
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ name, version: 1, digest: digestOf("a"), rowCount: 3, source: "a.csv", artifact: null });
    expect(first.body.profile.columns[1].name).toBe("city");

    const again = await call(s, "POST", versionsUrl(project, name), versionBody("a", 3));
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const second = await call(s, "POST", versionsUrl(project, name), versionBody("b", 4));
    expect(second.status).toBe(201);
    expect(second.body.version).toBe(2);

    const base = `/api/v1/projects/${project}/datasets/${encodeURIComponent(name)}`;
    expect((await call(s, "GET", `${base}/versions/latest`)).body.id).toBe(second.body.id);
    expect((await call(s, "GET", `${base}/versions/1`)).body.id).toBe(first.body.id);
    expect((await call(s, "GET", `${base}/versions/${digestOf("b")}`)).body.version).toBe(2);
    expect((await call(s, "GET", `${base}/versions/3`)).status).toBe(404);
    expect((await call(s, "GET", `${base}/versions/99999999999`)).status).toBe(400);
    expect((await call(s, "GET", `${base}/versions/${digestOf("zzz")}`)).status).toBe(404);
    expect((await call(s, "GET", `${base}/versions/sha256:abc`)).status).toBe(400);

    const byId = await call(s, "GET", `/api/v1/dataset-versions/${first.body.id}`);
    expect(byId.body).toEqual(first.body);
    expect((await call(s, "GET", `/api/v1/dataset-versions/${digestOf("x").slice(7, 43)}`)).status).toBe(404);

    const dataset = await call(s, "GET", base);
    expect(dataset.body).toMatchObject({ name, description: "card payments", latestVersion: 2 });
    expect((await call(s, "GET", `/api/v1/projects/${project}/datasets/nope`)).status).toBe(404);
    expect((await call(s, "GET", `/api/v1/projects/${project}/datasets/${encodeURIComponent("-bad")}`)).body.errors[0].path).toBe("path.name");
  });

  it("lists datasets by name and versions newest first, profiles only on request, page by page", async () => {
    const s = srv();
    const project = await newProject(s);
    for (const seed of ["v1", "v2", "v3"]) expect((await call(s, "POST", versionsUrl(project, "b-set"), versionBody(seed))).status).toBe(201);
    await call(s, "POST", versionsUrl(project, "a-set"), versionBody("other"));

    const datasets = (await call(s, "GET", `/api/v1/projects/${project}/datasets`)).body;
    expect(datasets.datasets.map((d: { name: string; latestVersion: number }) => [d.name, d.latestVersion])).toEqual([["a-set", 1], ["b-set", 3]]);
    const page1 = (await call(s, "GET", `/api/v1/projects/${project}/datasets?limit=1`)).body;
    expect(page1.datasets[0].name).toBe("a-set");
    const page2 = (await call(s, "GET", `/api/v1/projects/${project}/datasets?limit=1&cursor=${page1.nextCursor}`)).body;
    expect(page2).toMatchObject({ datasets: [{ name: "b-set" }], nextCursor: null });

    const versions = (await call(s, "GET", `${versionsUrl(project, "b-set")}?limit=2`)).body;
    expect(versions.versions.map((v: { version: number }) => v.version)).toEqual([3, 2]);
    expect(versions.versions.every((v: { profile: unknown; schema: unknown }) => v.profile === null && v.schema)).toBe(true);
    const rest = (await call(s, "GET", `${versionsUrl(project, "b-set")}?limit=2&include=profile&cursor=${versions.nextCursor}`)).body;
    expect(rest.versions.map((v: { version: number }) => v.version)).toEqual([1]);
    expect(rest.versions[0].profile.rowCount).toBe(3);
    expect(rest.nextCursor).toBeNull();
    expect((await call(s, "GET", `${versionsUrl(project, "b-set")}?cursor=forged`)).status).toBe(400);
    expect((await call(s, "GET", `${versionsUrl(project, "b-set")}?include=everything`)).status).toBe(400);
  });

  it("20 concurrent creates of 3 digests make exactly 3 versions numbered 1-3", async () => {
    const s = srv();
    const project = await newProject(s);
    const seeds = ["x", "y", "z"];
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => call(s, "POST", versionsUrl(project, "busy"), versionBody(seeds[i % 3]!))));
    expect(replies.map((r) => r.status).filter((st) => st !== 200 && st !== 201)).toEqual([]);
    expect(replies.filter((r) => r.status === 201).length).toBe(3);
    const byDigest = new Map<string, Set<number>>();
    for (const r of replies) byDigest.set(r.body.digest, (byDigest.get(r.body.digest) ?? new Set()).add(r.body.version));
    expect([...byDigest.values()].map((v) => v.size)).toEqual([1, 1, 1]);
    const stored = (await call(s, "GET", versionsUrl(project, "busy"))).body.versions.map((v: { version: number }) => v.version);
    expect(stored).toEqual([3, 2, 1]);
    const counted = await s.query<{ n: number }>("select count(*)::int as n from datasets d join projects p on p.id = d.project_id where p.name = $1", [project]);
    expect(counted[0]!.n).toBe(1);
  });

  it("refuses a profile that contradicts its schema with a 400 naming the column, and stores nothing", async () => {
    const s = srv();
    const project = await newProject(s);
    const wrongType = versionBody("bad");
    wrongType.profile.columns[1]!.type = "text";
    const r = await call(s, "POST", versionsUrl(project, "strict"), wrongType);
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain("profile.columns[1].type");
    expect(r.body.errors.find((e: { path: string }) => e.path === "profile.columns[1].type").message).toContain("city");

    const wrongCount = versionBody("bad2");
    wrongCount.profile.columns[0]!.missing = 1;
    const r2 = await call(s, "POST", versionsUrl(project, "strict"), wrongCount);
    expect(r2.status).toBe(400);
    expect(r2.body.errors[0]).toMatchObject({ path: "profile.columns[0].count" });
    expect(r2.body.errors.some((e: { path: string; message: string }) => e.path === "profile.columns[0].missing" && e.message.includes('"age"'))).toBe(true);

    const renamed = versionBody("bad3");
    renamed.profile.columns[0]!.name = "years";
    const r3 = (await call(s, "POST", versionsUrl(project, "strict"), renamed)).body;
    expect(r3.errors[0]).toMatchObject({ path: "profile.columns[0].name", message: expect.stringContaining('"years"') });
    expect(r3.errors.map((e: { path: string }) => e.path)).toContain("schema.columns[0]");
    const twice = versionBody("bad3b");
    twice.schema.columns[1]!.name = "age";
    expect((await call(s, "POST", versionsUrl(project, "strict"), twice)).body.errors[0].path).toBe("schema.columns[1].name");
    expect((await call(s, "POST", versionsUrl(project, "strict"), versionBody("bad4", 3, { rowCount: 4 }))).body.errors[0].path).toBe("profile.rowCount");
    const outside = versionBody("bad5");
    outside.profile.columns[1]!.categorical!.top[0]!.value = "Bergen";
    expect((await call(s, "POST", versionsUrl(project, "strict"), outside)).body.errors[0].path).toMatch(/^profile\.columns\[1\]\.categorical\.top/);
    expect((await call(s, "POST", versionsUrl(project, "strict"), { ...versionBody("bad6"), digest: "md5:1" })).body.errors[0].path).toBe("digest");
    const nul = versionBody("bad8");
    nul.schema.columns[1]!.domain = undefined as never;
    nul.profile.columns[1]!.categorical!.top[0]!.value = "Os\u0000lo";
    expect((await call(s, "POST", versionsUrl(project, "strict"), nul)).body.errors).toEqual([{ path: "profile.columns[1]", message: 'column "city" has a value with a NUL character' }]);
    expect((await call(s, "POST", versionsUrl(project, "-x"), versionBody("bad7"))).body.errors[0].path).toBe("path.name");

    expect((await call(s, "GET", `/api/v1/projects/${project}/datasets/strict`)).status).toBe(404);
    expect((await call(s, "GET", `/api/v1/projects/${project}/datasets`)).body.datasets).toEqual([]);
  });

  it("accepts an artifact of a run in the same project as the data's location, and nothing else", async () => {
    const s = srv();
    const project = await newProject(s);
    const run = await newRun(s, project);
    const otherRun = await newRun(s, await newProject(s));
    const otherRunSameProject = await newRun(s, project);
    const sha = digestOf("blob").slice(7);
    await s.query("insert into blobs (sha256, size) values ($1, 10) on conflict do nothing", [sha]);
    for (const r of [run, otherRun, otherRunSameProject]) {
      await s.query("insert into artifacts (id, run_id, path, sha256, size, media_type) values (gen_random_uuid(), $1, 'datasets/d.csv', $2, 10, 'text/csv')", [r.id, sha]);
    }
    const ok = await call(s, "POST", versionsUrl(project, "stored"), versionBody("s1", 3, { artifact: { runId: run.id, path: "datasets/d.csv" } }));
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.artifact).toEqual({ runId: run.id, path: "datasets/d.csv" });
    for (const artifact of [{ runId: run.id, path: "datasets/missing.csv" }, { runId: otherRun.id, path: "datasets/d.csv" }]) {
      const bad = await call(s, "POST", versionsUrl(project, "stored"), versionBody("s2", 3, { artifact }));
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].path).toBe("artifact");
    }
    expect((await call(s, "GET", versionsUrl(project, "stored"))).body.versions.length).toBe(1);
    // Data first logged without its file gains the artifact when it is uploaded later, once.
    const bare = await call(s, "POST", versionsUrl(project, "later"), versionBody("s3"));
    expect(bare.body.artifact).toBeNull();
    const attached = await call(s, "POST", versionsUrl(project, "later"), versionBody("s3", 3, { artifact: { runId: run.id, path: "datasets/d.csv" } }));
    expect(attached.status).toBe(200);
    expect(attached.body).toMatchObject({ id: bare.body.id, version: 1, artifact: { runId: run.id, path: "datasets/d.csv" } });
    const kept = await call(s, "POST", versionsUrl(project, "later"), versionBody("s3", 3, { artifact: { runId: otherRunSameProject.id, path: "datasets/d.csv" } }));
    expect(kept.body.artifact).toEqual({ runId: run.id, path: "datasets/d.csv" });
    const events = (await call(s, "GET", "/api/v1/audit?limit=20")).body.events as Array<{ action: string; subject: { id: string } }>;
    expect(events.filter((e) => e.action === "dataset_version.attach_artifact" && e.subject.id === bare.body.id).length).toBe(1);
  });

  it("takes the profile of a wide dataset past the default body limit, up to its own", async () => {
    const s = srv();
    const project = await newProject(s);
    const wide = wideBody("wide", 3000);
    expect(JSON.stringify(wide).length).toBeGreaterThan(1024 * 1024);
    const r = await call(s, "POST", versionsUrl(project, "pixels"), wide);
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(201);
    expect(r.body.schema.columns).toHaveLength(3000);
    expect(await postRaw(`${s.url}${versionsUrl(project, "pixels")}`, s.apiKey, " ".repeat(33 * 1024 * 1024))).toBe(413);
    // Other routes keep the default limit.
    expect(await postRaw(`${s.url}/api/v1/projects/${project}/runs`, s.apiKey, JSON.stringify({ name: "r", notes: "x".repeat(2 * 1024 * 1024) }))).toBe(413);
  });

  it("treats a soft-deleted project as not found", async () => {
    const s = srv();
    const project = await newProject(s);
    await call(s, "POST", versionsUrl(project, "gone"), versionBody("g"));
    await s.query("update projects set deleted_at = now() where name = $1", [project]);
    expect((await call(s, "GET", `/api/v1/projects/${project}/datasets`)).status).toBe(404);
    expect((await call(s, "POST", versionsUrl(project, "gone"), versionBody("g2"))).status).toBe(404);
  });
});
