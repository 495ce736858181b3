import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { globToRegExp, ignoreMatcher } from "../src/artifacts/ignore.js";
import { mapLimit } from "../src/artifacts/limiter.js";
import { artifactUrlPath, joinArtifactPath, normalizeArtifactPath, normalizePrefix } from "../src/artifacts/path.js";
import { humanBytes } from "../src/cli/artifacts.js";

describe("artifact paths in the SDK", () => {
  it("normalises separators and dot segments, refuses traversal and control characters", () => {
    expect(normalizeArtifactPath("a//b/./c")).toBe("a/b/c");
    expect(joinArtifactPath("ckpt/", "sub/x.bin")).toBe("ckpt/sub/x.bin");
    expect(normalizePrefix("models")).toBe("models/");
    expect(normalizePrefix(undefined)).toBe("");
    for (const bad of ["../x", "a/../../x", "/etc/passwd", "C:/x", "a\\b", "a\u0000b", "", "./", "x".repeat(1025)]) {
      expect(() => normalizeArtifactPath(bad), JSON.stringify(bad)).toThrow();
    }
  });

  it("property: a normalised path is stable, relative and free of . and .. segments", () => {
    const segment = fc.oneof(fc.constantFrom(".", "", "a", "b.txt", "ü", "x y"), fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !/[\\/\u0000-\u001f\u007f-\u009f%]/.test(s) && s !== ".."));
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 8 }), (segs) => {
        let out: string;
        try {
          out = normalizeArtifactPath(segs.join("/"));
        } catch {
          return; // empty after normalising, a drive letter, …: refused is fine
        }
        expect(normalizeArtifactPath(out)).toBe(out);
        expect(out.startsWith("/")).toBe(false);
        expect(out.split("/").some((s) => s === "" || s === "." || s === "..")).toBe(false);
      }),
    );
  });

  it("URL-encodes each segment and keeps the separators", () => {
    expect(artifactUrlPath("r1", "a b/c%d/#e?.txt")).toBe("/api/v1/runs/r1/artifacts/a%20b/c%25d/%23e%3F.txt");
  });
});

describe("ignore rules", () => {
  it("globs match names anywhere, paths from the root; ** crosses folders", () => {
    const m = ignoreMatcher(["*.tmp", "logs/**", "cache/", /\.DS_Store$/]);
    for (const p of ["x.tmp", "a/b/c.tmp", "logs/1/2.txt", "cache/z", ".DS_Store", "a/.DS_Store"]) expect(m(p), p).toBe(true);
    for (const p of ["x.tmpl", "a/logs/1.txt", "cachex/z", "keep.txt"]) expect(m(p), p).toBe(false);
    expect(globToRegExp("a/**/b").test("a/b")).toBe(true);
    expect(globToRegExp("a/**/b").test("a/x/y/b")).toBe(true);
    expect(globToRegExp("a?c").test("a/c")).toBe(false);
  });
});

describe("transfer helpers", () => {
  it("mapLimit never runs more than n at once and keeps order", async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimit([...Array(20).keys()], 3, async (i) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 2 + (i % 4)));
      active--;
      return i * 2;
    });
    expect(peak).toBe(3);
    expect(out).toEqual([...Array(20).keys()].map((i) => i * 2));
  });

  it("humanBytes uses binary units", () => {
    expect(humanBytes(0)).toBe("0 B");
    expect(humanBytes(1536)).toBe("1.50 KiB");
    expect(humanBytes(3 * 2 ** 20 + 5)).toBe("3.00 MiB");
    expect(humanBytes(150 * 2 ** 30)).toBe("150 GiB");
  });
});
