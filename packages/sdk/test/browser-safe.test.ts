import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Static `import … from "x"` / `export … from "x"` / bare `import "x"` specifiers (not dynamic import()). */
function staticImports(code: string): string[] {
  const out: string[] = [];
  for (const m of code.matchAll(/^\s*(?:import|export)\b[^"'();]*?(?:from\s*)?["']([^"']+)["']/gm)) out.push(m[1]!);
  return out;
}

/** Every file reachable from `entry` through static imports (what a browser bundler must load eagerly). */
function staticGraph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const specs = staticImports(readFileSync(file, "utf8"));
    seen.set(file, specs);
    for (const s of specs) if (s.startsWith(".")) visit(join(dirname(file), s));
  };
  visit(entry);
  return seen;
}

describe("browser-safe entry", () => {
  // The web UI bundles @cairn/sdk: its main entry must not pull Node builtins in eagerly.
  // The spool and exit hooks are reached only through import() behind a Node check.
  it("dist/index.js and its static imports reference no Node builtin and no require()", () => {
    const graph = staticGraph(join(dist, "index.js"));
    expect(graph.size).toBeGreaterThan(1);
    for (const [file, specs] of graph) {
      expect(specs.filter((s) => builtins.has(s)), file).toEqual([]);
      expect(readFileSync(file, "utf8"), file).not.toMatch(/\brequire\(/);
    }
    const externals = new Set([...graph.values()].flat().filter((s) => !s.startsWith(".")));
    expect([...externals].sort()).toEqual(["@cairn/core", "ky"]);
  });

  it("the Node-only modules are loaded lazily and do use node: builtins", () => {
    const index = readFileSync(join(dist, "index.js"), "utf8");
    const lazy = [...index.matchAll(/import\(["'](\.\/[^"']+)["']\)/g)].map((m) => m[1]!);
    expect(lazy.length).toBeGreaterThanOrEqual(2); // spool, exit hooks, capture, system sampler, …
    const lazySpecs = lazy.flatMap((f) => [...staticGraph(join(dist, f)).values()].flat());
    expect(lazySpecs.some((s) => s.startsWith("node:"))).toBe(true);
  });
});
