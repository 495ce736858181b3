import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { byPathBytes, versionDigest } from "./version-digest.js";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
// Paths with astral characters and characters above the surrogates: UTF-16 order and byte order disagree on them.
const pathArb = fc.string({ unit: fc.constantFrom("a", "b", "/", ".", "é", "\uFF21", "😀", " "), minLength: 1, maxLength: 6 });
const filesArb = fc.uniqueArray(fc.record({ path: pathArb, sha256: fc.string({ minLength: 1, maxLength: 4 }).map(sha), size: fc.nat() }), { selector: (f) => f.path, minLength: 1, maxLength: 12 });

describe("version digests (properties)", () => {
  it("a folder's digest is the sha256 of its manifest sorted by UTF-8 bytes, whatever order the files come in", () => {
    fc.assert(
      fc.property(filesArb, fc.nat(), (files, seed) => {
        const shuffled = files.map((f, i) => ({ f, k: (i * 7919 + seed) % 104729 })).sort((a, b) => a.k - b.k).map((e) => e.f);
        const naive = [...files]
          .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)))
          .map((f) => `${f.path}\t${f.sha256}\n`)
          .join("");
        expect(versionDigest(shuffled, false)).toBe(sha(naive));
      }),
    );
  });

  it("sorts by code point, as PostgreSQL's C collation does: 😀 after \uFF21 (UTF-16 order would put it first)", () => {
    expect(["😀", "\uFF21", "a"].map((path) => ({ path })).sort(byPathBytes).map((f) => f.path)).toEqual(["a", "\uFF21", "😀"]);
  });

  it("changes when any file's content or path changes; a single file's digest is its own sha256", () => {
    fc.assert(
      fc.property(filesArb, fc.nat(), (files, pick) => {
        const i = pick % files.length;
        const changed = files.map((f, j) => (j === i ? { ...f, sha256: sha(`${f.sha256}!`) } : f));
        expect(versionDigest(changed, false)).not.toBe(versionDigest(files, false));
        const moved = files.map((f, j) => (j === i ? { ...f, path: `${f.path}~` } : f));
        if (!files.some((f) => f.path === `${files[i]!.path}~`)) expect(versionDigest(moved, false)).not.toBe(versionDigest(files, false));
        expect(versionDigest([files[i]!], true)).toBe(files[i]!.sha256);
      }),
    );
  });
});
