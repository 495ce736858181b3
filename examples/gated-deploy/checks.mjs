// What the gate holds the candidates to: the production policy and the behaviour cases.
import { NEGATIVE, POSITIVE } from "./data.mjs";

/**
 * The policy for the `production` alias. Accuracy is read from each version's newest
 * performance check on its `test` dataset; "not worse than production" compares with the
 * version holding the alias at promotion time, on the same test dataset version.
 */
export const PRODUCTION_POLICY = {
  alias: "production",
  rules: [
    { metric: "accuracy", dataset: "test", min: 0.85 },
    { metric: "accuracy", dataset: "test", notWorseThan: "production", tolerance: 0.02 },
    // The four-fifths rule: no island's penguins are called male at under 80 % of another island's rate.
    { check: "bias", field: "demographicParityRatio", min: 0.8 },
    // The shifted sample moves two of six columns; the model is still fit to serve while under half drift.
    { check: "drift", field: "driftedShare", max: 0.5 },
    { check: "schema", compatibleWith: "production" },
    { check: "behaviour", allPass: true },
    { checksNewerThan: "7d" },
  ],
};

const penguin = (species, island, bill, depth, flipper, mass) => ({
  Species: species,
  Island: island,
  "Beak Length (mm)": bill,
  "Beak Depth (mm)": depth,
  "Flipper Length (mm)": flipper,
  "Body Mass (g)": mass,
});

/**
 * Cases a sexing model must get right, whatever its test accuracy. The two fixed
 * answers in the middle are a light male and a heavy female of their species: a model
 * that only weighs the bird gets them backwards.
 */
export function behaviourCases() {
  const adelie = penguin("Adelie", "Dream", 40.5, 19.2, 192, 3950);
  return [
    {
      type: "invariance",
      name: "the island does not change the answer",
      input: adelie,
      perturb: (p) => ({ ...p, Island: "Torgersen" }),
    },
    {
      type: "directional",
      name: "500 g more makes male more likely",
      input: adelie,
      perturbed: { ...adelie, "Body Mass (g)": adelie["Body Mass (g)"] + 500 },
      expect: "increase",
      output: (o) => o.score,
    },
    { type: "minimum_functionality", name: "a large Gentoo is male", input: penguin("Gentoo", "Biscoe", 50, 16, 225, 5700), expected: POSITIVE, output: (o) => o.label },
    { type: "minimum_functionality", name: "a small Adelie is female", input: penguin("Adelie", "Torgersen", 36, 17, 185, 3300), expected: NEGATIVE, output: (o) => o.label },
    { type: "minimum_functionality", name: "a Chinstrap with a long, deep bill is male", input: penguin("Chinstrap", "Dream", 51, 19.4, 199, 3900), expected: POSITIVE, output: (o) => o.label },
    { type: "minimum_functionality", name: "a Gentoo with a short, shallow bill is female", input: penguin("Gentoo", "Biscoe", 45.5, 14.2, 212, 4700), expected: NEGATIVE, output: (o) => o.label },
  ];
}
