import { execFileSync } from "node:child_process";
import { accessSync, constants, readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const pkgDir = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { bin: { cairn: string }; files: string[] };

describe("the cairn command", () => {
  it("is a committed, executable file (npm links it at install, before dist/ is built) that runs the CLI", () => {
    const bin = new URL(`../${pkg.bin.cairn}`, import.meta.url);
    expect(pkg.bin.cairn.startsWith("./dist/")).toBe(false);
    expect(pkg.files).toContain(pkg.bin.cairn.replace(/^\.\//, "").split("/")[0]);
    accessSync(bin, constants.X_OK);
    const out = execFileSync(process.execPath, [fileURLToPath(bin), "--help"], { encoding: "utf8" });
    expect(out).toMatch(/^cairn \d+\.\d+\.\d+/);
    expect(out).toContain("cairn artifacts");
  });

  it("is what the repository root's node_modules/.bin/cairn runs (npx cairn from a checkout)", () => {
    const linked = realpathSync(fileURLToPath(new URL("../../../node_modules/.bin/cairn", import.meta.url)));
    expect(linked).toBe(realpathSync(`${pkgDir}${pkg.bin.cairn.replace(/^\.\//, "")}`));
  });
});
