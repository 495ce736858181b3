import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PerformanceReport } from "../../schemas/checks.js";
import { classificationMetrics } from "./classification.js";
import type { Label } from "./labels.js";
import { regressionMetrics } from "./regression.js";

/** Cases scored by scikit-learn (fixtures/make-perf-fixtures.py). */
const fixtures = JSON.parse(readFileSync(new URL("../fixtures/perf.json", import.meta.url), "utf8")) as {
  sklearn: string;
  cases: Array<{
    name: string;
    task: "classification" | "regression";
    labels: Label[];
    predictions: Label[];
    scores?: number[];
    classScores?: { labels: Label[]; scores: number[][] };
    positive?: Label;
    expected: Record<string, number | null | number[][]>;
  }>;
};

const close = (actual: number | null, expected: number | null, what: string) => {
  if (expected === null) return expect(actual, what).toBeNull();
  expect(actual, what).not.toBeNull();
  const tol = 1e-12 * Math.max(1, Math.abs(expected));
  expect(Math.abs(actual! - expected), `${what}: ${actual} vs sklearn ${expected}`).toBeLessThanOrEqual(tol);
};

describe(`performance metrics match scikit-learn ${fixtures.sklearn}`, () => {
  for (const c of fixtures.cases) {
    it(c.name, () => {
      const report =
        c.task === "regression"
          ? regressionMetrics({ labels: c.labels as number[], predictions: c.predictions as number[] })
          : classificationMetrics({ labels: c.labels, predictions: c.predictions, scores: c.scores, classScores: c.classScores, positive: c.positive });
      PerformanceReport.parse(report);
      for (const [key, value] of Object.entries(c.expected)) {
        if (key === "confusionMatrix") expect((report as { confusionMatrix: { matrix: number[][] } }).confusionMatrix.matrix).toEqual(value);
        else close((report as unknown as Record<string, number | null>)[key]!, value as number | null, key);
      }
    });
  }
});
