import { z } from "zod";
import { isUuid, isUuidV7 } from "../ids.js";

/** Characters allowed in metric, param and tag keys (documented in the README). */
export const KEY_PATTERN = /^[A-Za-z0-9_\-./: ]+$/;
export const MAX_KEY_LENGTH = 250;

export const Key = z
  .string()
  .min(1, "must not be empty")
  .max(MAX_KEY_LENGTH, `must be at most ${MAX_KEY_LENGTH} characters`)
  .regex(KEY_PATTERN, "may contain only letters, digits, spaces and _ - . / :");

/**
 * Text the database will store: PostgreSQL text and jsonb cannot hold NUL, so it is
 * refused here with a 400 rather than failing in the database.
 */
export const Text = (max: number, min = 0) =>
  z
    .string()
    .min(min, "must not be empty")
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !s.includes("\u0000"), "must not contain NUL characters");

/**
 * Times that become PostgreSQL timestamps: years 1–9999. Beyond 9999 JavaScript prints
 * "+010000-…", which PostgreSQL refuses, so such values are a 400 here, not a 500 there.
 */
export const MIN_EPOCH_MS = -62_135_596_800_000;
export const MAX_EPOCH_MS = 253_402_300_799_999;
export const isStorableTime = (ms: number): boolean => Number.isFinite(ms) && ms >= MIN_EPOCH_MS && ms <= MAX_EPOCH_MS;
export const EpochMs = z.number().int().min(0).max(MAX_EPOCH_MS, "must be a time before the year 10000");

export const Uuid = z.string().refine(isUuid, "must be a UUID");
export const UuidV7 = z.string().refine(isUuidV7, "must be a UUIDv7");

/** Project names appear in URLs, so they are URL-safe and never look like a UUID. */
export const ProjectName = z
  .string()
  .min(1, "must not be empty")
  .max(100, "must be at most 100 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must start with a letter or digit and contain only letters, digits and _ . -")
  .refine((s) => !isUuid(s), "must not be a UUID");

export const IsoDateTime = z.string().describe("RFC 3339 date-time");

export const Limit = z.coerce.number().int().min(1).max(1000).default(50);
export const Cursor = z.string().max(2000).optional();

/** One page of a cursor-paginated list; `nextCursor` is null on the last page. */
export const PageInfo = z.object({ nextCursor: z.string().nullable() });

export const ListQuery = z.object({ limit: Limit, cursor: Cursor });
export type ListQuery = z.infer<typeof ListQuery>;
