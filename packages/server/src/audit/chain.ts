import { createHash } from "node:crypto";
import { AUDIT_GENESIS_HASH, type AuditEvent, type AuditVerifyResult } from "@cairn/core";
import { canonicalJson } from "./canonical-json.js";

/** An event as hashed: every stored field except `seq` (assigned by the database) and `hash`. */
export type HashedEvent = Omit<AuditEvent, "seq" | "hash">;

/** sha256hex(prevHash + canonicalJson(event without seq and hash)). */
export function hashEvent(event: HashedEvent | AuditEvent): string {
  const { seq: _seq, hash: _hash, ...body } = event as AuditEvent;
  return createHash("sha256").update(event.prevHash).update(canonicalJson(body)).digest("hex");
}

/**
 * Checks events one at a time in seq order, so the server can stream the table through it
 * page by page and an export can be checked offline with the same code. Seq gaps are not
 * errors (a rolled-back transaction consumes a sequence number); a missing event shows up
 * as the next event's `prevHash` not matching.
 */
export class ChainVerifier {
  private expectedPrev: string;
  private checked = 0;
  private head: { seq: number; hash: string } | null = null;
  private broken: AuditVerifyResult["firstBroken"];

  /** `startPrev`: the hash the first event must link to (the genesis hash for a full chain). */
  constructor(startPrev: string = AUDIT_GENESIS_HASH) {
    this.expectedPrev = startPrev;
  }

  /** Returns false once the chain is broken (further events are ignored). */
  push(event: AuditEvent): boolean {
    if (this.broken) return false;
    this.checked++;
    const fail = (reason: string) => {
      this.broken = { seq: event.seq, id: event.id, reason };
      return false;
    };
    if (event.prevHash !== this.expectedPrev) {
      return fail(
        this.head
          ? `prev_hash does not match the hash of the preceding event (seq ${this.head.seq}): an event is missing or was altered`
          : "prev_hash does not match the start of the chain: an earlier event is missing",
      );
    }
    if (hashEvent(event) !== event.hash) return fail("hash does not match the event's content: the event was altered");
    this.expectedPrev = event.hash;
    this.head = { seq: event.seq, hash: event.hash };
    return true;
  }

  result(): AuditVerifyResult {
    return this.broken
      ? { ok: false, checked: this.checked, firstBroken: this.broken, head: this.head }
      : { ok: true, checked: this.checked, head: this.head };
  }
}

/** Verifies a whole chain (or a contiguous tail of one, given the hash it starts from). */
export function verifyChain(events: Iterable<AuditEvent>, startPrev: string = AUDIT_GENESIS_HASH): AuditVerifyResult {
  const v = new ChainVerifier(startPrev);
  for (const e of events) if (!v.push(e)) break;
  return v.result();
}
