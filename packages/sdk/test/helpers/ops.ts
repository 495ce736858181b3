import fc from "fast-check";
import { batchFromPoints, batchToPoints } from "../../src/run/batch.js";
import type { Op } from "../../src/run/ops.js";

const key = fc.stringMatching(/^[A-Za-z0-9_\-./: ]{1,12}$/);
const value = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity));
const point = fc.tuple(key, value, fc.nat(1e6), fc.nat(2e12));
const paramValue = fc.oneof(fc.string({ maxLength: 20 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean());

/** Any op the SDK can queue or spool. */
export const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ type: fc.constant("project" as const), name: fc.stringMatching(/^[a-z][a-z0-9_.-]{0,10}$/) }),
  fc.record({ type: fc.constant("params" as const), params: fc.dictionary(key, paramValue, { maxKeys: 4 }) }),
  fc.record({ type: fc.constant("update" as const), body: fc.record({ tags: fc.dictionary(key, fc.option(fc.string({ maxLength: 8 }), { nil: null }), { maxKeys: 3 }) }) }),
  fc.array(point, { minLength: 1, maxLength: 30 }).map((pts): Op => ({ type: "metrics", batch: batchFromPoints(pts) })),
);

/** A comparable plain form of an op (typed arrays and -0 normalised). */
export function plain(op: Op): unknown {
  if (op.type !== "metrics") return JSON.parse(JSON.stringify(op));
  return { type: "metrics", points: batchToPoints(op.batch).map((p) => ({ ...p, value: Object.is(p.value, -0) ? 0 : p.value })) };
}
