import { uuidv7 } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { testDrivers } from "../testing.js";
import { useServer } from "../../test/support.js";
import { auditQueryFromOrm, listAudit, recordAudit, verifyAudit } from "./audit.service.js";
import { hashEvent } from "./chain.js";
import { auditApp } from "./audit.testutil.js";

/**
 * Tampering breaks the chain for everything after it, so these tests run on a server of
 * their own and put every row back as it was before the next test.
 */
describe.each(testDrivers)("audit tamper evidence (%s)", (driver) => {
  const srv = useServer(driver);
  const ctx = () => srv().server()!.ctx;

  /** The seq of the chain's n-th event (1-based), whatever the server wrote before us. */
  async function nth(n: number): Promise<number> {
    const [row] = await srv().query<{ seq: string }>("select seq::text as seq from audit_events order by audit_events.seq offset $1 limit 1", [n - 1]);
    return Number(row!.seq);
  }

  // Copies kept in the database itself, so the row goes back bit for bit on either driver.
  async function backup(seq: number): Promise<void> {
    await srv().query(`create table audit_backup as select * from audit_events where seq = ${seq}`);
  }
  async function restore(statement: string): Promise<void> {
    await srv().query(statement);
    await srv().query("drop table audit_backup");
  }

  it("builds a chain of events that verifies", async () => {
    for (let i = 0; i < 20; i++) {
      await ctx().db.orm.transaction((tx) =>
        recordAudit(auditQueryFromOrm(tx), { keyId: null, name: "admin" }, { action: "project.create", subject: { kind: "project", id: uuidv7() }, after: { i } }),
      );
    }
    const r = await verifyAudit({ ctx: ctx(), pageSize: 3 });
    expect(r.ok).toBe(true);
    expect(r.checked).toBeGreaterThanOrEqual(20);
  });

  it("names an event edited with raw SQL as the first broken one", async () => {
    const seq = await nth(5);
    const [orig] = await srv().query<{ id: string }>("select id::text as id from audit_events where seq = $1", [seq]);
    await backup(seq);
    await srv().query(`update audit_events set after = '{"x":1}' where seq = ${seq}`);
    try {
      const r = await verifyAudit({ ctx: ctx(), pageSize: 2 });
      expect(r).toMatchObject({ ok: false, checked: 5, firstBroken: { seq, id: orig!.id } });
      expect(r.firstBroken!.reason).toMatch(/hash does not match/);
      // The same answer over HTTP.
      const res = await auditApp(ctx()).request("/api/v1/audit/verify");
      expect(await res.json()).toMatchObject({ ok: false, firstBroken: { seq } });
    } finally {
      await restore("update audit_events a set after = b.after from audit_backup b where a.seq = b.seq");
    }
    expect((await verifyAudit({ ctx: ctx() })).ok).toBe(true);
  });

  it("detects an edit that also recomputes the event's hash, at the next event", async () => {
    const seq = await nth(7);
    const next = await nth(8);
    const [{ subject_id }] = (await srv().query<{ subject_id: string }>("select subject_id from audit_events where seq = $1", [seq])) as [{ subject_id: string }];
    const [event] = (await listAudit({ ctx: ctx(), subjectId: subject_id })).events;
    const forged = { ...event!, after: { i: 999 } };
    await backup(seq);
    await srv().query(`update audit_events set after = '{"i":999}', hash = '${hashEvent(forged)}' where seq = ${seq}`);
    try {
      const r = await verifyAudit({ ctx: ctx() });
      expect(r).toMatchObject({ ok: false, firstBroken: { seq: next } });
      expect(r.firstBroken!.reason).toMatch(/prev_hash/);
    } finally {
      await restore("update audit_events a set after = b.after, hash = b.hash from audit_backup b where a.seq = b.seq");
    }
    expect((await verifyAudit({ ctx: ctx() })).ok).toBe(true);
  });

  it("detects a deleted middle event through the next event's prev_hash", async () => {
    const seq = await nth(10);
    const next = await nth(11);
    await backup(seq);
    await srv().query(`delete from audit_events where seq = ${seq}`);
    try {
      const r = await verifyAudit({ ctx: ctx() });
      expect(r).toMatchObject({ ok: false, checked: 10, firstBroken: { seq: next } });
      expect(r.firstBroken!.reason).toMatch(/prev_hash/);
    } finally {
      await restore("insert into audit_events select * from audit_backup");
    }
    expect((await verifyAudit({ ctx: ctx() })).ok).toBe(true);
  });

  it("refuses a fork: a second event naming the same predecessor", async () => {
    const [head] = await srv().query<{ prev_hash: string }>("select prev_hash from audit_events order by audit_events.seq desc limit 1");
    await expect(
      srv().query(
        `insert into audit_events (id, at, actor_name, action, subject_kind, subject_id, prev_hash, hash)
         values ($1, now(), 'mallory', 'x', 'x', 'x', $2, $3)`,
        [uuidv7(), head!.prev_hash, "0".repeat(64)],
      ),
    ).rejects.toThrow(/prev_hash/);
  });
});
