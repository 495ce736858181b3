/**
 * The upload head probe: a large PUT that carries no sha256 (the client did not spend a pass
 * over the file to compute one) says what its first bytes hash to instead. Before reading the
 * body, the server compares that with the same-sized content it already stores for the run's
 * project; on a possible match it refuses with 409 `content_may_exist`, and the client hashes
 * the file and asks by sha256 (which links without sending the bytes). New content, the common
 * case, is sent at once and hashed only by the server. See docs/adr/0003-artifact-store.md.
 */

/** Request header: lowercase hex sha256 of the body's first `headProbeBytes(size)` bytes. */
export const HEAD_SHA256_HEADER = "x-cairn-head-sha256";

/** How much of the file the probe covers: enough to tell apart nearly every pair of different files of one size. */
export const HEAD_PROBE_MAX_BYTES = 2 ** 20;

/** The probe's length for a body of `size` bytes. */
export const headProbeBytes = (size: number): number => Math.min(HEAD_PROBE_MAX_BYTES, size);

/** Problem code of the 409: stored content may be the same; send the sha256 (ask first). */
export const CONTENT_MAY_EXIST = "content_may_exist" as const;
