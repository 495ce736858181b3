import { z } from "zod";
import { IsoDateTime, isStorableTime, Limit, Cursor, PageInfo, Text, Uuid } from "./common.js";

/** 64 hex zeros: the `prevHash` of the first event in the chain. */
export const AUDIT_GENESIS_HASH = "0".repeat(64);

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256");

/** A time filter: anything `Date.parse` reads (RFC 3339 recommended). */
const TimeParam = z
  .string()
  .max(100)
  .refine((s) => isStorableTime(Date.parse(s)), "must be an ISO 8601 date-time between the years 1 and 9999")
  .describe("RFC 3339 date-time");

/**
 * One audit event as stored and exported. `hash = sha256hex(prevHash + canonicalJson(event
 * without seq and hash))`, where canonical JSON sorts object keys by UTF-16 code units and has
 * no whitespace — so anyone can re-verify an export without Cairn.
 */
export const AuditEvent = z
  .object({
    /** Position in the chain; gaps are possible (a rolled-back transaction uses up a number). */
    seq: z.number().int(),
    id: Uuid,
    /** When the change happened, with millisecond precision. */
    at: IsoDateTime,
    actor: z.object({ keyId: Uuid.nullable(), name: z.string() }),
    /** e.g. `run.create`, `run.update`, `key.revoke`, `auth.denied`. */
    action: z.string(),
    subject: z.object({ kind: z.string(), id: z.string() }),
    projectId: Uuid.nullable(),
    /** The changed fields before and after the change (null when not applicable). */
    before: z.unknown().nullable(),
    after: z.unknown().nullable(),
    requestId: z.string().nullable(),
    clientIp: z.string().nullable(),
    userAgent: z.string().nullable(),
    prevHash: Sha256Hex,
    hash: Sha256Hex,
  })
  .meta({ id: "AuditEvent" });
export type AuditEvent = z.infer<typeof AuditEvent>;

export const AuditList = PageInfo.extend({ events: z.array(AuditEvent) }).meta({ id: "AuditList" });
export type AuditList = z.infer<typeof AuditList>;

export const AuditVerifyResult = z
  .object({
    ok: z.boolean(),
    /** Events checked (up to and including the first broken one). */
    checked: z.number().int(),
    /** The first event whose hash or link to its predecessor does not match. */
    firstBroken: z.object({ seq: z.number().int(), id: z.string(), reason: z.string() }).optional(),
    /** The last event checked: keep its hash elsewhere to detect a rewrite of the whole tail later. */
    head: z.object({ seq: z.number().int(), hash: Sha256Hex }).nullable().optional(),
  })
  .meta({ id: "AuditVerifyResult" });
export type AuditVerifyResult = z.infer<typeof AuditVerifyResult>;

export const AuditListQuery = z.object({
  /** Project name or id (an id also finds events of a deleted project). */
  project: Text(200, 1).optional(),
  /** Key id of the actor. */
  actor: Uuid.optional(),
  action: Text(200, 1).optional(),
  subjectKind: Text(200, 1).optional(),
  subjectId: Text(500, 1).optional(),
  /** Inclusive lower bound on `at`. */
  from: TimeParam.optional(),
  /** Exclusive upper bound on `at`. */
  to: TimeParam.optional(),
  limit: Limit,
  cursor: Cursor,
});
export type AuditListQuery = z.infer<typeof AuditListQuery>;

export const AuditExportQuery = z.object({
  /** Inclusive lower bound on `at`. */
  since: TimeParam.optional(),
  /** Exclusive upper bound on `at`. */
  until: TimeParam.optional(),
  project: Text(200, 1).optional(),
});
export type AuditExportQuery = z.infer<typeof AuditExportQuery>;
