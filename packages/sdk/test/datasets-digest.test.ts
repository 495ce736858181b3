import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { CHUNK_ROWS, computeDataset } from "../src/datasets/node/profile.js";

const dir = mkdtempSync(join(tmpdir(), "cairn-digest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

// Values that survive a CSV round trip with the same type: words never look like numbers,
// booleans or dates, numbers print and parse back to the same double, null is an empty field.
const word = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/).filter((w) => !["true", "false", "nan", "inf", "infinity"].includes(w));
const num = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)));
const column = fc.oneof(
  fc.record({ kind: fc.constant("n"), value: fc.option(num, { nil: null, freq: 8 }) }),
  fc.record({ kind: fc.constant("w"), value: fc.option(word, { nil: null, freq: 8 }) }),
  fc.record({ kind: fc.constant("b"), value: fc.option(fc.boolean(), { nil: null, freq: 8 }) }),
);
const table = fc
  .tuple(fc.uniqueArray(fc.stringMatching(/^[a-z]{1,5}$/), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 40 }))
  .chain(([names, rows]) =>
    fc.tuple(
      fc.constant(names),
      fc.tuple(...names.map(() => fc.constantFrom("n", "w", "b"))),
      fc.array(fc.tuple(...names.map(() => column)), { minLength: rows, maxLength: rows }),
    ),
  )
  .map(([names, kinds, rows]) =>
    // One kind per column: cells of another kind become that column's kind's missing value.
    rows.map((cells) => Object.fromEntries(names.map((n, k) => [n, cells[k]!.kind === kinds[k] ? cells[k]!.value : null]))),
  );

const toCsv = (records: Record<string, unknown>[]) => {
  const names = Object.keys(records[0]!);
  // A lone empty field would be a blank line, which CSV readers skip: quote it.
  const missing = names.length === 1 ? '""' : "";
  return `${names.join(",")}\n${records.map((r) => names.map((n) => (r[n] === null ? missing : String(r[n]))).join(",")).join("\n")}\n`;
};

describe("the dataset digest does not depend on how the data is passed", () => {
  it("records, columns, a CSV file and a JSON Lines file give one digest, schema and row count", async () => {
    await fc.assert(
      fc.asyncProperty(table, async (records) => {
        const names = Object.keys(records[0]!);
        const columns = Object.fromEntries(names.map((n) => [n, records.map((r) => r[n])]));
        const csv = join(dir, `t${files}.csv`);
        const jsonl = join(dir, `t${files++}.jsonl`);
        writeFileSync(csv, toCsv(records));
        writeFileSync(jsonl, records.map((r) => JSON.stringify(r)).join("\n"));
        const results = await Promise.all([computeDataset(records), computeDataset(columns), computeDataset(csv), computeDataset(jsonl)]);
        for (const r of results.slice(1)) {
          expect(r.digest).toBe(results[0]!.digest);
          expect(r.rowCount).toBe(records.length);
          expect(r.schema).toEqual(results[0]!.schema);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("a file spanning several chunks has the digest of the same rows in memory; one changed cell changes it", async () => {
    const n = CHUNK_ROWS * 2 + 123;
    const records = Array.from({ length: n }, (_, i) => ({ id: i, v: (i * 7) % 1000 / 8, c: `k${i % 37}` }));
    const csv = join(dir, "big.csv");
    writeFileSync(csv, toCsv(records));
    const [file, memory] = await Promise.all([computeDataset(csv), computeDataset(records)]);
    expect(file.digest).toBe(memory.digest);
    expect(file.rowCount).toBe(n);
    records[CHUNK_ROWS + 5]!.v += 1;
    expect((await computeDataset(records)).digest).not.toBe(memory.digest);
  });
});
