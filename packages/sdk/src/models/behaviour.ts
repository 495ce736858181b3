import type { BehaviourCaseResult, BehaviourReport } from "@cairn/core";
import { CairnError } from "../client/errors.js";
import { readable } from "./readable.js";

/** A model's predict function: sync or async, one input at a time. */
export type Predict<I = any, O = any> = (input: I) => O | Promise<O>;

/** The output must not change when the input is perturbed (a typo, a synonym, an irrelevant field). */
export interface InvarianceCase<I = any, O = any> {
  type: "invariance";
  name: string;
  input: I;
  /** The perturbed input, or a function making it from the input. */
  perturb: I | ((input: I) => I);
  /** Numeric outputs (also inside arrays and objects) may differ by this much. Default 0. */
  tolerance?: number;
  /** Compares only this part of the output (e.g. the predicted class, not its probability). */
  output?: (output: O) => unknown;
}

/** The score must move the declared way when the input is changed (more income → higher approval score). */
export interface DirectionalCase<I = any, O = any> {
  type: "directional";
  name: string;
  input: I;
  /** The changed input, or `perturb`, a function making it from the input. */
  perturbed?: I;
  perturb?: (input: I) => I;
  expect: "increase" | "decrease";
  /** Picks the score from the output; needed when the output is not a number. */
  output?: (output: O) => number;
}

/** A fixed input must give the expected output. */
export interface MinimumFunctionalityCase<I = any, O = any> {
  type: "minimum_functionality";
  name: string;
  input: I;
  expected: unknown;
  /** Numeric outputs may differ from `expected` by this much. Default 0. */
  tolerance?: number;
  output?: (output: O) => unknown;
}

export type BehaviourCase<I = any, O = any> = InvarianceCase<I, O> | DirectionalCase<I, O> | MinimumFunctionalityCase<I, O>;

const CASE_TYPES = new Set(["invariance", "directional", "minimum_functionality"]);

/** A case declared wrongly is the caller's bug: it is thrown before any prediction, not reported as a failed case. */
function validate(cases: readonly BehaviourCase[]): void {
  if (!Array.isArray(cases)) throw new CairnError("behaviour tests: `cases` must be an array");
  cases.forEach((c, i) => {
    const at = `behaviour case ${i} (${JSON.stringify((c as { name?: unknown })?.name ?? null)})`;
    if (c === null || typeof c !== "object") throw new CairnError(`behaviour case ${i} must be an object`);
    if (!CASE_TYPES.has(c.type)) throw new CairnError(`${at}: type must be invariance, directional or minimum_functionality`);
    if (typeof c.name !== "string" || c.name === "") throw new CairnError(`${at}: needs a name`);
    if ("tolerance" in c && c.tolerance !== undefined && !(typeof c.tolerance === "number" && c.tolerance >= 0)) throw new CairnError(`${at}: tolerance must be a number ≥ 0`);
    if (c.type === "directional") {
      if (c.expect !== "increase" && c.expect !== "decrease") throw new CairnError(`${at}: expect must be "increase" or "decrease"`);
      if (!("perturbed" in c) && typeof c.perturb !== "function") throw new CairnError(`${at}: needs \`perturbed\` or a \`perturb\` function`);
    }
  });
}

/** Deep equality for outputs: numbers within `tol` (NaN equals NaN), arrays and plain objects by content. */
export function outputsEqual(a: unknown, b: unknown, tol = 0): boolean {
  if (typeof a === "number" && typeof b === "number") {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    return a === b || Math.abs(a - b) <= tol;
  }
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || Array.isArray(a)) {
    if (!(ArrayBuffer.isView(b) || Array.isArray(b))) return false;
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!outputsEqual(x[i], y[i], tol)) return false;
    return true;
  }
  if (Array.isArray(b) || ArrayBuffer.isView(b)) return false;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && outputsEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tol));
}

const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : readable(err));
const within = (tol: number | undefined) => (tol ? ` (± ${tol})` : "");

/** Thrown by a case's own helpers (perturb, output): recorded like a throwing predict. */
async function attempt<T>(fn: () => T | Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, error: errorText(err) };
  }
}

async function runCase(predict: Predict, c: BehaviourCase): Promise<BehaviourCaseResult> {
  const base = { name: c.name, type: c.type };
  const failed = (expected: string, error: string): BehaviourCaseResult => ({ ...base, passed: false, expected, observed: `error: ${error}`, error });
  if (c.type === "minimum_functionality") {
    const expected = `${readable(c.expected)}${within(c.tolerance)}`;
    const out = await attempt(async () => select(c.output, await predict(c.input)));
    if (!out.ok) return failed(expected, out.error);
    return { ...base, passed: outputsEqual(out.value, c.expected, c.tolerance ?? 0), expected, observed: readable(out.value) };
  }
  if (c.type === "invariance") {
    const perturb = c.perturb;
    const original = await attempt(async () => select(c.output, await predict(c.input)));
    if (!original.ok) return failed("the same output for the original and the perturbed input", original.error);
    const expected = `${readable(original.value)}${within(c.tolerance)} (the output for the original input)`;
    const changed = await attempt(async () => select(c.output, await predict(typeof perturb === "function" ? (perturb as (i: unknown) => unknown)(c.input) : perturb)));
    if (!changed.ok) return failed(expected, changed.error);
    return { ...base, passed: outputsEqual(changed.value, original.value, c.tolerance ?? 0), expected, observed: readable(changed.value) };
  }
  const score = async (input: unknown) => {
    const out = await predict(input);
    const s = c.output ? c.output(out) : out;
    if (typeof s !== "number" || Number.isNaN(s)) throw new CairnError(`the score is ${readable(s)}, not a number${c.output ? "" : " (pass `output` to pick the score from the output)"}`);
    return s;
  };
  const word = c.expect === "increase" ? "increases" : "decreases";
  const before = await attempt(() => score(c.input));
  if (!before.ok) return failed(`the score ${word}`, before.error);
  const expected = `${c.expect === "increase" ? ">" : "<"} ${readable(before.value)} (the score ${word} from the original input's)`;
  const after = await attempt(() => score("perturbed" in c ? c.perturbed : c.perturb!(c.input)));
  if (!after.ok) return failed(expected, after.error);
  const delta = after.value - before.value;
  const passed = c.expect === "increase" ? delta > 0 : delta < 0;
  return { ...base, passed, expected, observed: `${readable(after.value)} (${delta >= 0 ? "+" : ""}${readable(Number(delta.toPrecision(6)))})` };
}

function select(pick: ((out: any) => unknown) | undefined, out: unknown): unknown {
  return pick ? pick(out) : out;
}

/**
 * Runs behaviour tests (invariance, directional expectation, minimum functionality) on a
 * predict function, one case after another (predict may hold state). A predict (or
 * perturb/output helper) that throws fails its case with `error`; it never stops the
 * others. Pure: needs no server. Record the report with `client.models.check(…, { kind: "behaviour", … })`.
 *
 * @example
 * const report = await runBehaviourTests(predict, [
 *   { type: "invariance", name: "name does not matter", input: applicant, perturb: (a) => ({ ...a, name: "X" }) },
 *   { type: "directional", name: "income up", input: applicant, perturb: (a) => ({ ...a, income: a.income * 2 }), expect: "increase" },
 *   { type: "minimum_functionality", name: "no income", input: { income: 0 }, expected: "reject" },
 * ]);
 */
export async function runBehaviourTests<I, O>(predict: Predict<I, O>, cases: readonly BehaviourCase<I, O>[]): Promise<BehaviourReport> {
  if (typeof predict !== "function") throw new CairnError("behaviour tests: `predict` must be a function");
  validate(cases);
  const results: BehaviourCaseResult[] = [];
  for (const c of cases) results.push(await runCase(predict as Predict, c as BehaviourCase));
  const failedCount = results.filter((r) => !r.passed).length;
  return { passed: failedCount === 0, total: results.length, failedCount, cases: results };
}
