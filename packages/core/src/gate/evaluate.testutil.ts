import type { CheckEvidence, GateEvidence, VersionEvidence } from "./evidence.js";

export const T0 = "2026-11-20T12:00:00.000Z";
export const NOW = new Date("2026-11-21T12:00:00.000Z");
export const TEST_V1 = "0190a000-0000-7000-8000-000000000001";
export const TEST_V2 = "0190a000-0000-7000-8000-000000000002";

let seq = 0;
export function check(kind: string, figures: Record<string, unknown>, over: Partial<CheckEvidence> = {}): CheckEvidence {
  seq++;
  return {
    id: `0190b000-0000-7000-8000-${String(seq).padStart(12, "0")}`,
    kind,
    name: null,
    status: "passed",
    figures,
    datasets: kind === "performance" ? [{ datasetVersionId: TEST_V2, role: "test", label: "iris-test v2" }] : [],
    createdAt: T0,
    ...over,
  };
}

export function version(v: number, over: Partial<VersionEvidence> = {}): VersionEvidence {
  return { id: `0190c000-0000-7000-8000-${String(v).padStart(12, "0")}`, version: v, createdAt: T0, metrics: {}, datasets: [], checks: [], ...over };
}

export function bundle(candidate: VersionEvidence, over: Partial<GateEvidence> = {}): GateEvidence {
  return { candidate, holders: {}, compatibility: {}, ...over };
}
