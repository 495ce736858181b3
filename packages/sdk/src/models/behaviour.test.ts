import { BehaviourReport } from "@cairn/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CairnError } from "../client/errors.js";
import { type BehaviourCase, outputsEqual, runBehaviourTests } from "./behaviour.js";
import { readable } from "./readable.js";

const applicant = fc.record({ name: fc.string({ maxLength: 10 }), income: fc.double({ min: 0, max: 1e6, noNaN: true }), age: fc.integer({ min: 18, max: 99 }) });
type Applicant = { name: string; income: number; age: number };
// -0 → 0, as JSON carries it; short enough that the text is not cut.
const jsonValue = fc
  .jsonValue({ maxDepth: 2 })
  .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
  .filter((v) => JSON.stringify(v).length < 400);

describe("runBehaviourTests", () => {
  it("a function that ignores the perturbed field always passes invariance, sync or async", async () => {
    await fc.assert(
      fc.asyncProperty(applicant, fc.string({ maxLength: 10 }), fc.boolean(), async (a, other, isAsync) => {
        const score = (x: Applicant) => x.income / 1000 + x.age;
        const predict = isAsync ? async (x: Applicant) => score(x) : score;
        const report = await runBehaviourTests(predict, [{ type: "invariance", name: "name", input: a, perturb: (x: Applicant) => ({ ...x, name: other }) }]);
        expect(report).toMatchObject({ passed: true, total: 1, failedCount: 0 });
        expect(report.cases[0]!.observed).toBe(readable(score(a)));
      }),
    );
  });

  it("a function that reads the perturbed field fails invariance, and passes within a tolerance as wide as the change", async () => {
    await fc.assert(
      fc.asyncProperty(applicant, fc.double({ min: 1, max: 100, noNaN: true }), async (a, bump) => {
        const predict = (x: Applicant) => x.income;
        const cases: BehaviourCase<Applicant, number>[] = [
          { type: "invariance", name: "strict", input: a, perturb: { ...a, income: a.income + bump } },
          { type: "invariance", name: "tolerant", input: a, perturb: { ...a, income: a.income + bump }, tolerance: bump * 1.001 },
        ];
        const report = await runBehaviourTests(predict, cases);
        expect(report.cases.map((c) => c.passed)).toEqual([false, true]);
        expect(report).toMatchObject({ passed: false, failedCount: 1, total: 2 });
      }),
    );
  });

  it("a monotone function passes directional cases in its direction and fails the other way", async () => {
    await fc.assert(
      fc.asyncProperty(applicant, fc.double({ min: 1, max: 1e5, noNaN: true }), async (a, raise) => {
        const predict = (x: Applicant) => ({ label: x.income > 5e5 ? "approve" : "reject", score: Math.log1p(x.income) });
        const richer = (x: Applicant) => ({ ...x, income: x.income + raise });
        const report = await runBehaviourTests(predict, [
          { type: "directional", name: "up", input: a, perturb: richer, expect: "increase", output: (o) => o.score },
          { type: "directional", name: "down", input: richer(a), perturbed: a, expect: "decrease", output: (o) => o.score },
          { type: "directional", name: "wrong way", input: a, perturb: richer, expect: "decrease", output: (o) => o.score },
        ]);
        expect(report.cases.map((c) => [c.name, c.passed])).toEqual([["up", true], ["down", true], ["wrong way", false]]);
      }),
    );
  });

  it("minimum functionality records the output as readable text (JSON for JSON values) and compares deeply", async () => {
    await fc.assert(
      fc.asyncProperty(jsonValue, jsonValue, async (out, other) => {
        const report = await runBehaviourTests(() => out, [
          { type: "minimum_functionality", name: "same", input: null, expected: structuredClone(out) },
          { type: "minimum_functionality", name: "other", input: null, expected: other },
        ]);
        expect(JSON.parse(report.cases[0]!.observed)).toEqual(out);
        expect(report.cases[0]!.expected).toBe(report.cases[0]!.observed);
        expect(report.cases[0]!.passed).toBe(true);
        expect(report.cases[1]!.passed).toBe(outputsEqual(out, other));
        expect(BehaviourReport.safeParse(report).success).toBe(true);
      }),
    );
  });

  it("a predict that throws (sync or async) fails only its own case, with the error, and the run goes on", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }), async (throws) => {
        let call = 0;
        const predict = async (i: number) => {
          call++;
          if (throws[i]) {
            if (call % 2) throw new RangeError(`bad input ${i}`);
            return Promise.reject(new RangeError(`bad input ${i}`));
          }
          return i;
        };
        const cases = throws.map((_, i): BehaviourCase => ({ type: "minimum_functionality", name: `case ${i}`, input: i, expected: i }));
        const report = await runBehaviourTests(predict, cases);
        expect(report.total).toBe(throws.length);
        expect(report.failedCount).toBe(throws.filter(Boolean).length);
        expect(report.passed).toBe(!throws.some(Boolean));
        report.cases.forEach((c, i) => {
          expect(c.passed).toBe(!throws[i]);
          expect(c.error).toBe(throws[i] ? `RangeError: bad input ${i}` : undefined);
          if (throws[i]) expect(c.observed).toBe(`error: RangeError: bad input ${i}`);
        });
        expect(BehaviourReport.safeParse(report).success).toBe(true);
      }),
    );
  });

  it("directional with a non-number output and no selector fails the case saying how to pick the score", async () => {
    const report = await runBehaviourTests(() => ({ p: 0.4 }), [{ type: "directional", name: "d", input: 1, perturbed: 2, expect: "increase" }]);
    expect(report.cases[0]).toMatchObject({ passed: false, error: expect.stringContaining("pass `output`") });
  });

  it("spells out the directional figures: the bound and the change", async () => {
    const report = await runBehaviourTests((x: number) => x / 10, [{ type: "directional", name: "d", input: 4, perturbed: 7, expect: "increase" }]);
    expect(report.cases[0]).toMatchObject({ passed: true, expected: "> 0.4 (the score increases from the original input's)", observed: "0.7 (+0.3)" });
  });

  it("rejects badly declared cases before predicting anything", async () => {
    let calls = 0;
    const predict = () => ++calls;
    await expect(runBehaviourTests(predict, [{ type: "invariant", name: "x", input: 1, perturb: 2 } as never])).rejects.toThrow(CairnError);
    await expect(runBehaviourTests(predict, [{ type: "directional", name: "x", input: 1, expect: "up" } as never])).rejects.toThrow(/expect must be/);
    await expect(runBehaviourTests(predict, [{ type: "directional", name: "x", input: 1, expect: "increase" } as never])).rejects.toThrow(/perturbed/);
    await expect(runBehaviourTests(predict, [{ type: "minimum_functionality", name: "", input: 1, expected: 1 }])).rejects.toThrow(/needs a name/);
    await expect(runBehaviourTests(predict, [{ type: "minimum_functionality", name: "t", input: 1, expected: 1, tolerance: -1 }])).rejects.toThrow(/tolerance/);
    expect(calls).toBe(0);
  });
});

describe("readable", () => {
  it("keeps text and numbers apart and spells out what JSON cannot say", () => {
    expect(readable("1")).toBe('"1"');
    expect(readable(1)).toBe("1");
    expect(readable([Number.NaN, Number.POSITIVE_INFINITY, undefined, 2n])).toBe("[NaN,Infinity,undefined,2n]");
    expect(readable(new Float32Array([0.5, 1]))).toBe("[0.5,1]");
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = loop;
    expect(readable(loop)).toBe('{"a":1,"self":[circular]}');
    expect(readable("x".repeat(1000))).toHaveLength(500);
  });
});
