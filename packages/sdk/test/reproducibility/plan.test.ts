import type { Run } from "@cairn/core";
import { describe, expect, it } from "vitest";
import { cloneDir, renderPlan, reproducePlan } from "../../src/reproducibility/plan.js";

const base: Run = {
  id: "0190b0d6-7a1f-7000-8000-000000000001",
  projectId: "0190b0d6-7a1f-7000-8000-000000000002",
  name: "r",
  status: "finished",
  parentId: null,
  notes: "",
  tags: {},
  params: { lr: 0.1, opt: "adam" },
  createdAt: "2026-01-01T00:00:00.000Z",
  startedAt: "2026-01-01T00:00:00.000Z",
  endedAt: null,
  heartbeatAt: "2026-01-01T00:00:00.000Z",
  source: null,
  environment: null,
  retrainedFrom: null,
  deletedAt: null,
  metrics: {},
};

describe("reproducePlan", () => {
  it("a run that recorded nothing still gives steps, with warnings for what is unknown", () => {
    const plan = reproducePlan(base, "p", null, "v20.1.0");
    expect(plan.warnings).toEqual(["The run recorded no git commit: the exact code version is unknown.", "No command was recorded (entry capture was off)."]);
    expect(plan.steps.flatMap((s) => s.commands)).toEqual([]);
    expect(renderPlan(plan)).toContain("This server does not report the datasets a run used.");
    expect(renderPlan(plan)).toContain('Params the run used: lr=0.1 opt="adam"');
  });

  it("pnpm lockfile, a truncated diff, another Node major, a working directory below the root", () => {
    const run: Run = {
      ...base,
      source: { commit: "abc", remote: "git@github.com:org/my-repo.git", dirty: true, diffArtifact: "_cairn/git.diff", diffTruncated: true, cwd: "pkgs/train", command: "node train.js" },
      environment: { node: "v22.3.0", lockfile: "pnpm-lock.yaml", lockfileHash: "sha256:ff", env: { TZ: "UTC", CAIRN_PROJECT: "p" }, seed: 7 },
    };
    const plan = reproducePlan(run, "p", [], "v20.1.0", { diffStored: true });
    expect(plan.steps.flatMap((s) => s.commands)).toEqual([
      "git clone git@github.com:org/my-repo.git my-repo",
      "cd my-repo",
      "git checkout abc",
      `cairn artifacts download ${base.id} _cairn/git.diff cairn-${base.id}.diff`,
      `git apply cairn-${base.id}.diff`,
      "pnpm install --frozen-lockfile",
      "cd pkgs/train",
      "TZ=UTC node train.js",
    ]);
    expect(plan.warnings.some((w) => w.includes("cut at its size cap"))).toBe(true);
    expect(plan.warnings).toContain("The run used Node v22.3.0; this machine has v20.1.0.");
    expect(renderPlan(plan)).toContain("Seed: 7");
    expect(renderPlan(plan)).toContain("The run recorded no datasets.");
  });

  it("clone directory names", () => {
    expect(cloneDir("https://host/org/repo.git")).toBe("repo");
    expect(cloneDir("git@host:org/repo.git")).toBe("repo");
    expect(cloneDir("/srv/git/thing/")).toBe("thing");
    expect(cloneDir("")).toBe("repo");
  });
});
