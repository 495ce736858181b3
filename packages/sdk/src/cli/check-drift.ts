import { DriftInputError, DriftMethod, type DriftReport, detectDrift } from "@cairn/core";
import { type CsvColumns, columnOf, firstNonNumber, InputError, readCsvColumns } from "./check-input.js";
import { type CliValues, EXIT_FAILURE, EXIT_OK, UsageError } from "./main.js";
import { table } from "./query.js";

const fmt = (x: number | null) => (x === null ? "-" : String(Number(x.toPrecision(4))));

/** A column whose present reference values are all numbers is numerical: a word in the current data is bad input. */
function checkNumbers(ref: CsvColumns, cur: CsvColumns, names: readonly string[]): void {
  for (const name of names) {
    const r = columnOf(ref, name);
    if (!r.some((v) => v !== "") || firstNonNumber(r) >= 0) continue;
    const c = columnOf(cur, name);
    const bad = firstNonNumber(c);
    if (bad >= 0) throw new InputError(`${cur.path}: column "${name}", data row ${bad + 1}: ${JSON.stringify(c[bad]!.slice(0, 60))} is not a number, but the column is numerical in ${ref.path}`);
  }
}

export async function checkDriftCommand(values: CliValues): Promise<number> {
  const refFile = values.reference;
  const curFile = values.current;
  if (!refFile || !curFile) throw new UsageError(`check drift needs --reference <ref.csv> and --current <cur.csv>`);
  let method: DriftMethod | undefined;
  if (values.method !== undefined) {
    const m = DriftMethod.safeParse(values.method);
    if (!m.success) throw new UsageError(`--method must be one of ${DriftMethod.options.join(", ")}`);
    method = m.data;
  }
  let threshold: number | undefined;
  if (values.threshold !== undefined) {
    threshold = Number(values.threshold);
    if (values.threshold.trim() === "" || !Number.isFinite(threshold) || threshold < 0) throw new UsageError("--threshold must be a non-negative number");
  }
  const columns = values.columns?.split(",").map((c) => c.trim()).filter((c) => c !== "");
  if (values.columns !== undefined && columns!.length === 0) throw new UsageError("--columns needs at least one column name");
  const ref = await readCsvColumns(refFile);
  const cur = await readCsvColumns(curFile);
  const names = columns ?? ref.names.filter((n) => Object.hasOwn(cur.columns, n));
  for (const n of names) {
    columnOf(ref, n);
    columnOf(cur, n);
  }
  checkNumbers(ref, cur, names);
  let report: DriftReport;
  try {
    report = detectDrift(ref.columns, cur.columns, { columns: names, ...(method ? { method } : {}), ...(threshold !== undefined ? { threshold } : {}) });
  } catch (err) {
    if (err instanceof DriftInputError) throw new InputError(`${curFile}: ${err.message}`);
    throw err;
  }
  if (values.json) console.log(JSON.stringify(report));
  else printDrift(report, refFile, curFile);
  return report.drifted ? EXIT_FAILURE : EXIT_OK;
}

function printDrift(r: DriftReport, refFile: string, curFile: string): void {
  console.log(`drift of ${curFile} against ${refFile}\n`);
  const rows = r.columns.map((c) => [c.column, c.type, c.method, fmt(c.statistic), fmt(c.pValue), fmt(c.threshold), c.status === "not_enough_data" ? "not enough data" : c.drifted ? "DRIFT" : "ok", `${c.referenceSize}/${c.currentSize}`]);
  console.log(`${table(["COLUMN", "TYPE", "METHOD", "STATISTIC", "P-VALUE", "THRESHOLD", "RESULT", "SIZES"], rows)}\n`);
  console.log(`${(r.driftedShare * 100).toFixed(1)}% of columns drifted: ${r.drifted ? "dataset drift" : "no dataset drift"}`);
}
