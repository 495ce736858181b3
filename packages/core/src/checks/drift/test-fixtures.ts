// Test helper only (reads the fixture JSON with node:fs): not exported from the package.
import { readFileSync } from "node:fs";

/** The scipy reference figures (fixtures/make-drift-fixtures.py → fixtures/drift.json). */
export interface DriftFixtures {
  numerical: Array<{
    name: string;
    reference: number[];
    current: number[];
    ks: { statistic: number; pValue: number };
    wasserstein: number;
    psi: number;
    jensenshannon: number;
    referenceShares: number[];
    currentShares: number[];
  }>;
  kstwo: Array<{ n: number; x: number; sf: number }>;
  chi2sf: Array<{ df: number; x: number; sf: number }>;
  categorical: Array<{ name: string; reference: string[]; current: string[]; chi2: { statistic: number; pValue: number; dof: number }; psi: number; jensenshannon: number }>;
}

export const fixtures: DriftFixtures = JSON.parse(readFileSync(new URL("../fixtures/drift.json", import.meta.url), "utf8"));

/** |actual − expected| ≤ rel·|expected| (or ≤ rel when expected is 0). */
export const close = (actual: number, expected: number, rel: number) => Math.abs(actual - expected) <= rel * Math.max(Math.abs(expected), expected === 0 ? 1 : 0);
