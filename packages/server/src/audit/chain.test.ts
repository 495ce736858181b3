import { AUDIT_GENESIS_HASH, type AuditEvent, uuidv7 } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { hashEvent, verifyChain } from "./chain.js";

function chain(n: number): AuditEvent[] {
  const out: AuditEvent[] = [];
  let prevHash = AUDIT_GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const body = {
      id: uuidv7(),
      at: new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString(),
      actor: { keyId: null, name: "ci" },
      action: "run.update",
      subject: { kind: "run", id: `r${i}` },
      projectId: null,
      before: { status: "running" },
      after: { status: "finished", n: i },
      requestId: `req-${i}`,
      clientIp: "127.0.0.1",
      userAgent: null,
      prevHash,
    };
    const hash = hashEvent(body);
    // Gaps in seq are legal (rolled-back transactions), so the test chain has some.
    out.push({ seq: i * 2, ...body, hash });
    prevHash = hash;
  }
  return out;
}

describe("verifyChain", () => {
  it("accepts an intact chain and reports its head", () => {
    const events = chain(10);
    expect(verifyChain(events)).toEqual({ ok: true, checked: 10, head: { seq: 20, hash: events[9]!.hash } });
    expect(verifyChain([])).toEqual({ ok: true, checked: 0, head: null });
  });

  it("names an altered event", () => {
    const events = chain(10);
    events[4] = { ...events[4]!, after: { status: "finished", n: 999 } };
    const r = verifyChain(events);
    expect(r.ok).toBe(false);
    expect(r.checked).toBe(5);
    expect(r.firstBroken).toMatchObject({ seq: 10, id: events[4]!.id });
    expect(r.firstBroken!.reason).toMatch(/hash does not match/);
  });

  it("names the event after a removed one, and a rewritten hash breaks the next link", () => {
    const events = chain(10);
    const removed = events.filter((_, i) => i !== 3);
    expect(verifyChain(removed).firstBroken).toMatchObject({ seq: 10 });
    expect(verifyChain(removed).firstBroken!.reason).toMatch(/prev_hash/);

    const rehashed = chain(10);
    const forged = { ...rehashed[2]!, actor: { keyId: null, name: "mallory" } };
    rehashed[2] = { ...forged, hash: hashEvent(forged) };
    expect(verifyChain(rehashed).firstBroken).toMatchObject({ seq: 8 });
  });

  it("detects a missing first event, and verifies a tail from its anchor", () => {
    const events = chain(5);
    expect(verifyChain(events.slice(1)).firstBroken).toMatchObject({ seq: 4 });
    expect(verifyChain(events.slice(2), events[1]!.hash).ok).toBe(true);
  });

  it("hashes the canonical form: key order of before/after does not matter", () => {
    const [e] = chain(1);
    const reordered = { ...e!, after: { n: 1, status: "finished" } };
    expect(hashEvent(reordered)).toBe(e!.hash);
  });
});
