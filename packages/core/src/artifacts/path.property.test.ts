import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeArtifactPath, encodeArtifactPath, normalizeArtifactPath } from "./path.js";

const segmentChar = fc.oneof(
  fc.constantFrom("a", "b", "Z", "0", "-", "_", ".", " ", "é", "日", "😀", "%", "~", "+", "#", "?", "&"),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
);
const segment = fc.string({ unit: segmentChar, minLength: 1, maxLength: 12 });
const rawPath = fc.array(fc.oneof(segment, fc.constantFrom("", ".", "..", "/", "\\", "C:", "%2e%2e", "．．")), { minLength: 1, maxLength: 8 }).map((s) => s.join("/"));

function escapes(path: string): boolean {
  let depth = 0;
  for (const s of path.split("/")) {
    if (s === "..") depth--;
    else if (s !== "." && s !== "") depth++;
    if (depth < 0) return true;
  }
  return false;
}

describe("artifact paths (properties)", () => {
  it("normalising is idempotent", () => {
    fc.assert(
      fc.property(rawPath, (p) => {
        const once = normalizeArtifactPath(p);
        if (!once.ok) return;
        expect(normalizeArtifactPath(once.path)).toEqual(once);
      }),
      { numRuns: 2000 },
    );
  });

  it("an accepted path never escapes, is relative, and has no dot segments, backslashes or control characters", () => {
    fc.assert(
      fc.property(fc.oneof(rawPath, fc.string({ maxLength: 40 })), (p) => {
        const r = normalizeArtifactPath(p);
        if (!r.ok) return;
        expect(escapes(r.path)).toBe(false);
        expect(r.path.startsWith("/")).toBe(false);
        expect(r.path.endsWith("/")).toBe(false);
        expect(r.path).not.toMatch(/\\|[\u0000-\u001f]|^[A-Za-z]:/);
        for (const s of r.path.split("/")) {
          expect(["", ".", ".."]).not.toContain(s);
          expect(["", ".", ".."]).not.toContain(s.normalize("NFKC"));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("valid names round-trip through the URL encoding", () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), (segs) => {
        const r = normalizeArtifactPath(segs.join("/"));
        if (!r.ok) return;
        expect(decodeArtifactPath(encodeArtifactPath(r.path))).toEqual(r);
      }),
      { numRuns: 2000 },
    );
  });

  it("percent-encoded traversal never decodes into `..`", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("%2e", "%2E", ".", "%252e", "%2f", "%252f", "%5c", "a", "/"), { minLength: 1, maxLength: 10 }), (parts) => {
        const r = decodeArtifactPath(parts.join(""));
        if (!r.ok) return;
        expect(escapes(r.path)).toBe(false);
        expect(r.path.split("/")).not.toContain("..");
        // Decoding the stored name once more must not yield a traversal either.
        let again = r.path;
        try {
          again = decodeURIComponent(r.path);
        } catch {
          /* not decodable: harmless */
        }
        expect(again.split("/")).not.toContain("..");
      }),
      { numRuns: 2000 },
    );
  });
});

describe("artifact paths (examples)", () => {
  it.each([
    ["a//b/./c", "a/b/c"],
    ["./model.bin", "model.bin"],
    ["dir/", "dir"],
    ["....//x", "..../x"],
    ["100%.txt", "100%.txt"],
  ])("normalises %j to %j", (input, out) => {
    expect(normalizeArtifactPath(input)).toEqual({ ok: true, path: out });
  });

  it.each(["", "/", "..", "a/../b", "/etc/passwd", "C:\\x", "c:/x", "a\\b", "a\u0000b", "a\nb", "．．/x", "a/%2e%2e/b", "x".repeat(1025), `${"y".repeat(256)}/z`, "\ud800"])(
    "refuses %j",
    (input) => {
      expect(normalizeArtifactPath(input).ok).toBe(false);
    },
  );

  it("allows the empty root only for folders", () => {
    expect(normalizeArtifactPath("", { folder: true })).toEqual({ ok: true, path: "" });
    expect(normalizeArtifactPath("models/", { folder: true })).toEqual({ ok: true, path: "models" });
  });
});
