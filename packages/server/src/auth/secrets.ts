import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** `cairn_` + 256 random bits, base64url: readable prefix, unguessable rest. */
export function newSecret(): string {
  return `cairn_${randomBytes(32).toString("base64url")}`;
}

/** A 256-bit random secret needs no slow hash: sha256 makes the stored value useless to a reader. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export function prefixOf(secret: string): string {
  return secret.slice(0, 12);
}

export function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
