import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ColumnType } from "../../schemas/datasets.js";
import type { ModelSignature } from "../../schemas/models.js";
import { compareSignatures } from "./signature-compat.js";

const TYPES: ColumnType[] = ["numerical", "categorical", "boolean", "datetime", "text"];
const column = fc.record({ name: fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h"), type: fc.constantFrom(...TYPES), nullable: fc.boolean() });
const columns = fc.uniqueArray(column, { selector: (c) => c.name, maxLength: 8 });
const signature = fc.record({ inputs: columns, outputs: columns });

/** The rule written out column by column, independent of the implementation's bookkeeping. */
function naiveCompatible(candidate: ModelSignature, holder: ModelSignature): boolean {
  const inHolder = (name: string, list: ModelSignature["inputs"]) => list.find((c) => c.name === name);
  for (const c of candidate.inputs) {
    const h = inHolder(c.name, holder.inputs);
    if (!h && !c.nullable) return false;
    if (h && h.type !== c.type) return false;
  }
  for (const h of holder.outputs) {
    const c = inHolder(h.name, candidate.outputs);
    if (!c || c.type !== h.type) return false;
  }
  return true;
}

describe("compareSignatures (properties)", () => {
  it("agrees with the rule written out naively", () => {
    fc.assert(
      fc.property(signature, signature, (candidate, holder) => {
        expect(compareSignatures(candidate, holder).compatible).toBe(naiveCompatible(candidate, holder));
      }),
      { numRuns: 3000 },
    );
  });

  it("a signature is compatible with itself, and with any holder it only drops inputs from", () => {
    fc.assert(
      fc.property(signature, fc.array(fc.boolean(), { maxLength: 8 }), (s, keep) => {
        expect(compareSignatures(s, s)).toMatchObject({ compatible: true, missingInputs: [], addedInputs: [], removedInputs: [], typeChanges: [], removedOutputs: [] });
        const fewer = { inputs: s.inputs.filter((_, i) => keep[i] ?? true), outputs: s.outputs };
        const r = compareSignatures(fewer, s);
        expect(r.compatible).toBe(true);
        expect(r.removedInputs).toEqual(s.inputs.filter((_, i) => !(keep[i] ?? true)).map((c) => c.name).sort());
      }),
    );
  });

  it("a new required input is missing, a new nullable one is added, a changed type is named", () => {
    fc.assert(
      fc.property(signature, fc.constantFrom(...TYPES), fc.boolean(), (holder, type, nullable) => {
        const extra = { name: "new_feature", type, nullable };
        const r = compareSignatures({ ...holder, inputs: [...holder.inputs, extra] }, holder);
        expect(r.compatible).toBe(nullable);
        expect(nullable ? r.addedInputs : r.missingInputs).toEqual(["new_feature"]);
        const [first] = holder.inputs;
        if (!first) return;
        const other = TYPES.find((t) => t !== first.type)!;
        const retyped = compareSignatures({ ...holder, inputs: [{ ...first, type: other }, ...holder.inputs.slice(1)] }, holder);
        expect(retyped.compatible).toBe(false);
        expect(retyped.typeChanges).toEqual([{ column: first.name, side: "input", from: first.type, to: other }]);
      }),
    );
  });

  it("does not depend on the order of columns", () => {
    fc.assert(
      fc.property(signature, signature, fc.nat(), (candidate, holder, seed) => {
        const shuffle = <T>(xs: T[]) => xs.map((x, i) => ({ x, k: (i * 7919 + seed) % 101 })).sort((a, b) => a.k - b.k).map((e) => e.x);
        const shuffled = compareSignatures({ inputs: shuffle(candidate.inputs), outputs: shuffle(candidate.outputs) }, { inputs: shuffle(holder.inputs), outputs: shuffle(holder.outputs) });
        expect(shuffled).toEqual(compareSignatures(candidate, holder));
      }),
    );
  });

  it("outputs: a dropped output or one of another type breaks readers; a new output does not", () => {
    const holder: ModelSignature = { inputs: [], outputs: [{ name: "score", type: "numerical", nullable: false }] };
    expect(compareSignatures({ inputs: [], outputs: [] }, holder)).toMatchObject({ compatible: false, removedOutputs: ["score"] });
    expect(compareSignatures({ inputs: [], outputs: [{ name: "score", type: "categorical", nullable: false }] }, holder).typeChanges).toEqual([
      { column: "score", side: "output", from: "numerical", to: "categorical" },
    ]);
    expect(compareSignatures({ inputs: [], outputs: [...holder.outputs, { name: "label", type: "categorical", nullable: false }] }, holder).compatible).toBe(true);
  });
});
