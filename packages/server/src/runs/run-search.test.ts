import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { testDrivers } from "../testing.js";
import { call, newProject, newRun, useServer } from "../../test/support.js";

describe.each(testDrivers)("run search (%s)", (driver) => {
  const srv = useServer(driver);
  let project: string;
  const ids: Record<string, string> = {};

  const search = async (filter?: string, orderBy?: string, limit = 100) => {
    const q = new URLSearchParams({ limit: String(limit) });
    if (filter) q.set("filter", filter);
    if (orderBy) q.set("orderBy", orderBy);
    return call(srv(), "GET", `/api/v1/projects/${project}/runs?${q}`);
  };
  const names = async (filter?: string, orderBy?: string) => {
    const r = await search(filter, orderBy);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.runs.map((x: { name: string }) => x.name);
  };

  it("seeds runs", async () => {
    project = await newProject(srv());
    const spec: Array<[string, Record<string, unknown>, Record<string, string>, Record<string, number | string>]> = [
      ["adam-1", { lr: 0.1, optimizer: "adam", epochs: 10 }, { team: "fraud" }, { accuracy: 0.95, loss: 0.2 }],
      ["adam-2", { lr: 0.01, optimizer: "adam", epochs: 20 }, { team: "fraud" }, { accuracy: 0.85, loss: 0.4 }],
      ["sgd-1", { lr: 0.1, optimizer: "sgd", epochs: 10 }, { team: "ads" }, { accuracy: 0.91, loss: 0.3 }],
      ["sgd-2", { lr: "0.1", optimizer: "sgd", warm: true }, {}, { accuracy: 0.5 }],
      ["empty", {}, { team: "fraud" }, {}],
    ];
    for (const [name, params, tags, metrics] of spec) {
      const run = await newRun(srv(), project, { name, params, tags });
      ids[name] = run.id;
      const points = Object.entries(metrics).map(([key, value]) => ({ key, value, step: 0 }));
      if (points.length) await call(srv(), "POST", `/api/v1/runs/${run.id}/metrics`, { points });
    }
    await call(srv(), "PATCH", `/api/v1/runs/${ids["sgd-1"]}`, { status: "finished" });
  });

  it("filters on metrics, typed params, tags and attributes", async () => {
    expect(await names('metrics.accuracy > 0.9 and params.optimizer = "adam" and tags.team = "fraud"')).toEqual(["adam-1"]);
    expect(await names("params.lr = 0.1", "name asc")).toEqual(["adam-1", "sgd-1"]); // "0.1" the string is another value
    expect(await names('params.lr = "0.1"')).toEqual(["sgd-2"]);
    expect(await names("params.warm = true")).toEqual(["sgd-2"]);
    expect(await names("params.epochs >= 15")).toEqual(["adam-2"]);
    expect(await names('status = "finished"')).toEqual(["sgd-1"]);
    expect(await names('name like "sgd%"', "name desc")).toEqual(["sgd-2", "sgd-1"]);
    expect(await names('params.optimizer in ("sgd", "rmsprop") and not (metrics.accuracy < 0.6)')).toEqual(["sgd-1"]);
    expect(await names("metrics.loss is null", "name asc")).toEqual(["empty", "sgd-2"]);
    expect(await names('tags.team != "fraud"')).toEqual(["sgd-1"]);
    expect(await names('(tags.team = "ads" or metrics.accuracy >= 0.95)', "name asc")).toEqual(["adam-1", "sgd-1"]);
    expect(await names('created > "2000-01-01"')).toHaveLength(5);
    expect(await names('created < "2000-01-01"')).toHaveLength(0);
  });

  it("orders by a metric with runs lacking it last", async () => {
    expect(await names(undefined, "metrics.accuracy desc")).toEqual(["adam-1", "sgd-1", "adam-2", "sgd-2", "empty"]);
    expect(await names(undefined, "metrics.loss asc")).toEqual(["adam-1", "sgd-1", "adam-2", expect.any(String), expect.any(String)]);
    expect((await names()).length).toBe(5); // default: newest first
    expect((await names())[0]).toBe("empty");
  });

  it("pages through every run exactly once whatever the order", async () => {
    for (const orderBy of ["metrics.accuracy asc", "metrics.accuracy desc", "params.lr desc", "tags.team asc", "created asc", "name desc"]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const q = new URLSearchParams({ limit: "2", orderBy });
        if (cursor) q.set("cursor", cursor);
        const page: any = await call(srv(), "GET", `/api/v1/projects/${project}/runs?${q}`);
        expect(page.status).toBe(200);
        seen.push(...page.body.runs.map((r: { name: string }) => r.name));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect([...seen].sort(), orderBy).toEqual(["adam-1", "adam-2", "empty", "sgd-1", "sgd-2"]);
    }
  });

  it("refuses a forged cursor with 400", async () => {
    const forged = (v: unknown) => Buffer.from(JSON.stringify({ v, id: "01a222af-443d-7003-9fa3-8b4a2dd5bbbf" })).toString("base64url");
    for (const [orderBy, v] of [["created desc", "NaN"], ["metrics.accuracy asc", "1; drop"], ["params.lr asc", "{nope"], ["created asc", "+010000-01-01"]]) {
      const r = await call(srv(), "GET", `/api/v1/projects/${project}/runs?orderBy=${encodeURIComponent(orderBy!)}&cursor=${forged(v)}`);
      expect(r.status, `${orderBy} ${v}`).toBe(400);
    }
  });

  it("answers a bad filter with 400 invalid_filter and the column of the error", async () => {
    const r = await search("metrics.accuracy > ");
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("invalid_filter");
    expect(r.body.errors[0]).toMatchObject({ path: "query.filter", position: expect.any(Number) });
    const bad = await search('metrics.accuracy > 0.9 and bogus.x = 1');
    expect(bad.body.errors[0].position).toBe(28);
    expect((await search(undefined, "metrics.loss sideways")).body.errors[0].path).toBe("query.orderBy");
    expect((await search(undefined, undefined, 0)).status).toBe(400);
  });

  it("treats hostile filter text as data: never a 5xx, never a change", async () => {
    const before = await srv().query<{ n: number }>("select count(*)::int as n from runs");
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.constantFrom(
            "name = \"x'; drop table runs; --\"",
            "tags.`a') or 1=1 --` = \"x\"",
            'params.lr = "1" or 1=1',
            "metrics.loss > 1e309",
            'created > "not a date"',
            'id = "1\'::uuid"',
            "(".repeat(200) + "status = \"running\"" + ")".repeat(200),
          ),
        ),
        async (filter) => {
          const r = await search(filter);
          expect(r.status, filter).toBeLessThan(500);
        },
      ),
      { numRuns: 60 },
    );
    const after = await srv().query<{ n: number }>("select count(*)::int as n from runs");
    expect(after[0]!.n).toBe(before[0]!.n);
  });
});
