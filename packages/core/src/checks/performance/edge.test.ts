import { describe, expect, it } from "vitest";
import { PerformanceReport } from "../../schemas/checks.js";
import { classificationMetrics } from "./classification.js";
import { regressionMetrics } from "./regression.js";

describe("performance: missing values and edge cases", () => {
  it("leaves out rows with a missing label, prediction or score and counts them", () => {
    const r = classificationMetrics({ labels: ["1", "", "0", "1", "1"], predictions: ["1", "1", "0", undefined, "0"], scores: [0.9, 0.2, null, 0.7, 0.6] });
    PerformanceReport.parse(r);
    expect(r.count).toBe(3);
    expect(r.missing).toBe(2);
    expect(r.positive).toBe("1");
    // Scored rows: (1, 0.9) and (1, 0.6) only: one class, so no AUC, but a log loss.
    expect(r.rocAuc).toBeNull();
    expect(r.logLoss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.6)) / 2, 14);
    expect(r.notes.some((n) => n.includes("without a score"))).toBe(true);
  });

  it("regression ignores missing and non-finite cells and reports not enough data below 2 rows", () => {
    const r = regressionMetrics({ labels: [1, null, 3, Number.NaN], predictions: [2, 5, 3, 1] });
    expect(r.count).toBe(2);
    expect(r.missing).toBe(2);
    expect(r.mae).toBe(0.5);
    const few = regressionMetrics({ labels: [1], predictions: [1] });
    expect(few.status).toBe("not_enough_data");
    expect(few.r2).toBeNull();
  });

  it("an unknown positive class gives zero precision/recall/F1 with a note", () => {
    const r = classificationMetrics({ labels: ["a", "b"], predictions: ["a", "b"], positive: "c" });
    expect([r.precision, r.recall, r.f1]).toEqual([0, 0, 0]);
    expect(r.positive).toBe("c");
    expect(r.notes[0]).toContain("does not occur");
  });

  it("rejects columns of different lengths", () => {
    expect(() => classificationMetrics({ labels: [1, 0], predictions: [1] })).toThrow(RangeError);
    expect(() => regressionMetrics({ labels: [1, 0], predictions: [1] })).toThrow(RangeError);
  });
});
