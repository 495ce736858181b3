import { describe, expect, it } from "vitest";
import { testDrivers } from "../testing.js";
import { call, uniqueName, useServer } from "../../test/support.js";

describe.each(testDrivers)("projects (%s)", (driver) => {
  const srv = useServer(driver);

  it("creates, gets by name and by id, and refuses a duplicate name with 409", async () => {
    const name = uniqueName();
    const created = await call(srv(), "POST", "/api/v1/projects", { name, description: "penguin classifiers" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, description: "penguin classifiers" });
    expect((await call(srv(), "GET", `/api/v1/projects/${name}`)).body.id).toBe(created.body.id);
    expect((await call(srv(), "GET", `/api/v1/projects/${created.body.id}`)).body.name).toBe(name);

    const dup = await call(srv(), "POST", "/api/v1/projects", { name });
    expect(dup.status).toBe(409);
    expect(dup.headers.get("content-type")).toContain("application/problem+json");
    expect(dup.body).toMatchObject({ code: "conflict", status: 409, errors: [{ path: "name" }] });
  });

  it("names the bad field and writes nothing for an invalid name", async () => {
    for (const bad of ["", "has space", "-leading", "a/b", "x".repeat(101), "01a2225c-ed51-7000-8f47-84c7bf36bf9d"]) {
      const r = await call(srv(), "POST", "/api/v1/projects", { name: bad });
      expect(r.status, bad).toBe(400);
      expect(r.body.code).toBe("validation_failed");
      expect(r.body.errors[0].path).toBe("name");
    }
    const unknownField = await call(srv(), "POST", "/api/v1/projects", { name: uniqueName(), owner: "x" });
    expect(unknownField.status).toBe(400);
  });

  it("404s an unknown project as problem+json with a request id", async () => {
    const r = await call(srv(), "GET", "/api/v1/projects/does-not-exist");
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ code: "not_found", status: 404 });
    expect(r.body.requestId).toBe(r.headers.get("x-request-id"));
  });

  it("lists every project exactly once across pages", async () => {
    const names = Array.from({ length: 7 }, () => uniqueName("list"));
    for (const name of names) await call(srv(), "POST", "/api/v1/projects", { name });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await call(srv(), "GET", `/api/v1/projects?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      expect(page.body.projects.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.projects.map((p: { name: string }) => p.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const n of names) expect(seen).toContain(n);
    expect((await call(srv(), "GET", "/api/v1/projects?cursor=garbage")).status).toBe(400);
    expect((await call(srv(), "GET", "/api/v1/projects?limit=0")).body.errors[0].path).toBe("query.limit");
  });
});
