import { describe, expect, it } from "vitest";
import { policyFieldErrors } from "./policy-errors.js";

const policy = (...rules: unknown[]) => ({ alias: "production", rules });

describe("policyFieldErrors", () => {
  it("accepts the issue's example policy", () => {
    expect(
      policyFieldErrors(
        policy(
          { metric: "accuracy", dataset: "test", min: 0.9 },
          { metric: "accuracy", dataset: "test", notWorseThan: "production", tolerance: 0.01 },
          { check: "bias", field: "demographicParityRatio", min: 0.8 },
          { check: "drift", field: "driftedShare", max: 0.3 },
          { check: "schema", compatibleWith: "production" },
          { check: "behaviour", allPass: true },
          { checksNewerThan: "7d" },
        ),
      ),
    ).toEqual([]);
  });

  it("names the field of the rule that is wrong", () => {
    const paths = (p: unknown) => policyFieldErrors(p).map((e) => e.path);
    expect(paths(policy({ metric: "accuracy", dataset: "test", min: 0.9 }, { checksNewerThan: "7d" }, { metric: "accuracy", dataset: "test", min: "high" }))).toEqual(["rules[2].min"]);
    expect(paths(policy({ metric: "accuracy", dataset: "test" }))).toEqual(["rules[0].min"]);
    expect(paths(policy({ metric: "accuracy", dataset: "test", notWorseThan: "production", tolerance: -1 }))).toEqual(["rules[0].tolerance"]);
    expect(paths(policy({ checksNewerThan: "a week" }))).toEqual(["rules[0].checksNewerThan"]);
    expect(paths(policy({ check: "drift", field: "driftedShare", min: 0.5, max: 0.3 }))).toEqual(["rules[0].max"]);
    expect(paths(policy({ check: "drift" }))).toEqual(["rules[0]"]);
    expect(paths(policy(42))).toEqual(["rules[0]"]);
    expect(paths({ alias: "Production", rules: [{ bogus: 1 }] })).toEqual(["alias", "rules[0]"]);
    expect(paths({ alias: "production" })).toEqual(["rules"]);
  });
});
