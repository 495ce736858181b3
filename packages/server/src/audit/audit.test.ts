import { type AuditEvent, uuidv7 } from "@cairn/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ServerContext } from "../server-context.js";
import { testDrivers } from "../testing.js";
import { useServer } from "../../test/support.js";
import { type AuditActor, type AuditEventInput, auditQueryFromBulk, auditQueryFromOrm, listAudit, recordAudit, verifyAudit } from "./audit.service.js";
import { toStorableJson } from "./canonical-json.js";
import { verifyChain } from "./chain.js";
import { auditApp, readNdjson } from "./audit.testutil.js";

const actor: AuditActor = { keyId: uuidv7(), name: "ci", requestId: "req-1", ip: "10.0.0.1", userAgent: "vitest" };

/** One event in its own transaction, through drizzle or through the bulk writer. */
async function record(ctx: ServerContext, event: AuditEventInput, a: AuditActor = actor, via: "orm" | "bulk" = "orm"): Promise<void> {
  if (via === "orm") await ctx.db.orm.transaction((tx) => recordAudit(auditQueryFromOrm(tx), a, event));
  else await ctx.db.bulk.transaction((tx) => recordAudit(auditQueryFromBulk(tx), a, event));
}

async function eventsOf(ctx: ServerContext, subjectId: string): Promise<AuditEvent[]> {
  return (await listAudit({ ctx, subjectId, limit: 1000 })).events.reverse();
}

describe.each(testDrivers)("audit log (%s)", (driver) => {
  const srv = useServer(driver);
  const ctx = () => srv().server()!.ctx;

  it("stores events that read back exactly as written and hash the same (jsonb normalisation)", async () => {
    const subject = uuidv7();
    const tricky = {
      z: 1,
      a: { y: [3, 2, { q: null, p: "ü" }], x: 0.1 },
      nums: [1e21, 5e-324, -0, 1.7976931348623157e308, 2 ** 53 + 2, -1.5e-7, 123456789.12345679, 0.30000000000000004],
      text: "nul\u0000 lone\ud800 emoji😀 quote\" \\ \n",
      undef: undefined,
      list: [undefined, () => 1],
      when: new Date(Date.UTC(2030, 0, 2)),
      big: 12345678901234567890n,
      "": "empty key",
      "10": "numeric-looking key",
    };
    await record(ctx(), { action: "run.update", subject: { kind: "run", id: subject }, before: tricky, after: { status: "finished" } });
    await record(ctx(), { action: "run.update", subject: { kind: "run", id: subject }, before: null, after: [tricky] }, actor, "bulk");
    await record(ctx(), { action: "run.update", subject: { kind: "run", id: subject } }, { keyId: null, name: "anonymous\u0000" });
    const [a, b, c] = await eventsOf(ctx(), subject);
    expect(a!.before).toEqual(toStorableJson(tricky));
    expect(b!.before).toBeNull();
    expect(b!.after).toEqual([toStorableJson(tricky)]);
    expect(c).toMatchObject({ before: null, after: null, actor: { keyId: null, name: "anonymous\uFFFD" }, requestId: null, clientIp: null, userAgent: null });
    expect(a).toMatchObject({ actor: { keyId: actor.keyId, name: "ci" }, requestId: "req-1", clientIp: "10.0.0.1", userAgent: "vitest" });
    expect(a!.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(b!.prevHash).toBe(a!.hash);
    expect(c!.prevHash).toBe(b!.hash);
    expect(await verifyAudit({ ctx: ctx() })).toMatchObject({ ok: true, head: { hash: c!.hash } });
  });

  it("verifies after arbitrary JSON in before/after (property: what is hashed is what jsonb returns)", async () => {
    const subject = uuidv7();
    const values = fc.sample(fc.jsonValue({ stringUnit: "binary", maxDepth: 4 }), { numRuns: 60, seed: 42 });
    for (const [i, v] of values.entries()) {
      await record(ctx(), { action: "prop", subject: { kind: "x", id: subject }, after: v }, actor, i % 2 ? "bulk" : "orm");
    }
    const back = await eventsOf(ctx(), subject);
    expect(back.map((e) => e.after)).toEqual(values.map((v) => toStorableJson(v)));
    expect((await verifyAudit({ ctx: ctx(), pageSize: 7 })).ok).toBe(true);
  });

  it("writes nothing when the transaction rolls back, and the chain continues from the last commit", async () => {
    const subject = uuidv7();
    await expect(
      ctx().db.orm.transaction(async (tx) => {
        await recordAudit(auditQueryFromOrm(tx), actor, { action: "run.create", subject: { kind: "run", id: subject } });
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await eventsOf(ctx(), subject)).toEqual([]);
    await record(ctx(), { action: "run.create", subject: { kind: "run", id: subject } });
    expect((await verifyAudit({ ctx: ctx() })).ok).toBe(true);
  });

  it("has no forks after 1,000 concurrent writes from 8 workers (both write paths)", async () => {
    const [{ max }] = (await srv().query<{ max: string | null }>("select max(seq)::text as max from audit_events")) as [{ max: string | null }];
    const before = Number(max ?? 0);
    const subject = uuidv7();
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < 125; i++) {
          await record(ctx(), { action: "run.update", subject: { kind: "run", id: subject }, after: { w, i } }, actor, w % 2 ? "bulk" : "orm");
        }
      }),
    );
    const seqs = (await srv().query<{ seq: string }>("select seq::text as seq from audit_events where seq > $1 order by audit_events.seq", [before])).map((r) => Number(r.seq));
    expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => before + i + 1));
    const [{ n }] = (await srv().query<{ n: number }>("select count(distinct prev_hash)::int as n from audit_events")) as [{ n: number }];
    const [{ total }] = (await srv().query<{ total: number }>("select count(*)::int as total from audit_events")) as [{ total: number }];
    expect(n).toBe(total);
    const result = await verifyAudit({ ctx: ctx() });
    expect(result).toMatchObject({ ok: true, checked: total });
  });

  it("filters by project, actor, action, subject and time, and pages with a cursor", async () => {
    const projectName = `audit-${uuidv7().slice(-8)}`;
    const projectId = uuidv7();
    await srv().query("insert into projects (id, name) values ($1, $2)", [projectId, projectName]);
    const otherProject = uuidv7();
    const alice: AuditActor = { keyId: uuidv7(), name: "alice" };
    const bob: AuditActor = { keyId: uuidv7(), name: "bob" };
    const subject = uuidv7();
    const t0 = new Date().toISOString();
    for (let i = 0; i < 10; i++) {
      await record(ctx(), { action: i % 2 ? "run.update" : "run.create", subject: { kind: "run", id: subject }, projectId, after: { i } }, i < 7 ? alice : bob);
    }
    await record(ctx(), { action: "run.create", subject: { kind: "run", id: uuidv7() }, projectId: otherProject }, alice);
    const t1 = new Date(Date.now() + 1).toISOString();

    const all = await listAudit({ ctx: ctx(), project: projectName, limit: 100 });
    expect(all.events.map((e) => (e.after as { i: number }).i)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(all.nextCursor).toBeNull();
    expect((await listAudit({ ctx: ctx(), project: projectId })).events).toHaveLength(10);
    expect((await listAudit({ ctx: ctx(), project: otherProject })).events).toHaveLength(1); // no project row needed
    expect((await listAudit({ ctx: ctx(), actor: bob.keyId! })).events).toHaveLength(3);
    expect((await listAudit({ ctx: ctx(), actor: alice.keyId!, action: "run.update", project: projectName })).events).toHaveLength(3);
    expect((await listAudit({ ctx: ctx(), subjectKind: "run", subjectId: subject })).events).toHaveLength(10);
    expect((await listAudit({ ctx: ctx(), actor: alice.keyId!, from: t0, to: t1 })).events).toHaveLength(8);
    expect((await listAudit({ ctx: ctx(), actor: alice.keyId!, to: t0 })).events).toHaveLength(0);

    const paged: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await listAudit({ ctx: ctx(), project: projectName, limit: 3, ...(cursor ? { cursor } : {}) });
      expect(page.events.length).toBeLessThanOrEqual(3);
      paged.push(...page.events);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(paged).toEqual(all.events);

    // Scope: a caller limited to some projects (by id or name) sees only their events.
    expect((await listAudit({ ctx: ctx(), projectIds: [projectName], actor: alice.keyId! })).events).toHaveLength(7);
    expect((await listAudit({ ctx: ctx(), projectIds: [otherProject], actor: alice.keyId! })).events).toHaveLength(1);
    expect((await listAudit({ ctx: ctx(), projectIds: [], actor: alice.keyId! })).events).toHaveLength(0);
    await expect(listAudit({ ctx: ctx(), projectIds: [otherProject], project: projectName })).rejects.toMatchObject({ status: 404 });
    expect((await listAudit({ ctx: ctx(), projectIds: [projectName], project: projectId })).events).toHaveLength(10);
    await expect(listAudit({ ctx: ctx(), project: "no-such-project" })).rejects.toMatchObject({ status: 404 });
    await expect(listAudit({ ctx: ctx(), cursor: "garbage" })).rejects.toMatchObject({ status: 400 });
  });

  it("serves list, verify and a streamed NDJSON export that re-verifies offline", async () => {
    const app = auditApp(ctx());
    const projectId = uuidv7();
    for (let i = 0; i < 5; i++) await record(ctx(), { action: "metrics.log", subject: { kind: "run", id: uuidv7() }, projectId, after: { count: 1000 + i } });

    const list = await app.request(`/api/v1/audit?project=${projectId}&limit=2`);
    expect(list.status).toBe(200);
    const page = (await list.json()) as { events: AuditEvent[]; nextCursor: string };
    expect(page.events).toHaveLength(2);
    const next = (await (await app.request(`/api/v1/audit?project=${projectId}&limit=2&cursor=${page.nextCursor}`)).json()) as { events: AuditEvent[] };
    expect(next.events[0]!.seq).toBeLessThan(page.events[1]!.seq);
    expect((await app.request("/api/v1/audit?from=yesterday")).status).toBe(400);
    expect((await app.request("/api/v1/audit?actor=not-a-uuid")).status).toBe(400);

    const verify = await app.request("/api/v1/audit/verify");
    expect(await verify.json()).toMatchObject({ ok: true });

    const res = await app.request("/api/v1/audit/export");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const events = await readNdjson(res);
    const [{ total }] = (await srv().query<{ total: number }>("select count(*)::int as total from audit_events")) as [{ total: number }];
    expect(events).toHaveLength(total);
    expect(verifyChain(events)).toMatchObject({ ok: true, checked: total });

    const scoped = await readNdjson(await app.request(`/api/v1/audit/export?project=${projectId}&since=${encodeURIComponent(events[0]!.at)}`));
    expect(scoped.map((e) => (e.after as { count: number }).count)).toEqual([1000, 1001, 1002, 1003, 1004]);
    const since = events[events.length - 3]!;
    const tail = await readNdjson(await app.request(`/api/v1/audit/export?since=${encodeURIComponent(since.at)}`));
    expect(verifyChain(tail, tail[0]!.prevHash).ok).toBe(true);
    expect((await app.request("/api/v1/audit/export?project=no-such-project")).status).toBe(404);
    expect((await app.request("/api/v1/audit/export?until=soon")).status).toBe(400);
  });
});
