import { checkSchema, referenceRanges, type SchemaReport } from "@cairn/core";
import { checkDriftCommand } from "./check-drift.js";
import { profileCsvFile, readReferenceJson } from "./check-input.js";
import { checkBiasCommand, checkPerformanceCommand } from "./check-model.js";
import { type CliValues, EXIT_FAILURE, EXIT_OK, UsageError } from "./main.js";
import { table } from "./query.js";

export const CHECK_HELP = `  cairn check schema --reference <ref.csv|profile.json> --current <cur.csv> [--json]
                                                   schema and data-quality check of a CSV against a reference CSV
                                                   or a stored schema/profile (the output of cairn profile --json)
  cairn check drift --reference <ref.csv> --current <cur.csv> [--method ks|chi2|psi|wasserstein|jensenshannon]
                    [--threshold x] [--columns a,b] [--json]
  cairn check bias --data <file.csv> --group <col> --label <col> --prediction <col> [--positive <value>] [--json]
  cairn check performance --task classification|regression --data <file.csv> --label <col> --prediction <col>
                    [--score <col>] [--positive <value>] [--json]`;

export const CHECK_OPTIONS = {
  reference: { type: "string" },
  current: { type: "string" },
  method: { type: "string" },
  threshold: { type: "string" },
  columns: { type: "string" },
  data: { type: "string" },
  group: { type: "string" },
  label: { type: "string" },
  prediction: { type: "string" },
  positive: { type: "string" },
  task: { type: "string" },
  score: { type: "string" },
} as const;

function need(values: CliValues, name: "reference" | "current"): string {
  const v = values[name];
  if (v === undefined || v === "") throw new UsageError(`check schema needs --${name} <file.csv>`);
  return v;
}

export async function checkCommand(values: CliValues, rest: string[]): Promise<number> {
  const [sub, ...args] = rest;
  if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"`);
  if (sub === "drift") return checkDriftCommand(values);
  if (sub === "bias") return checkBiasCommand(values);
  if (sub === "performance") return checkPerformanceCommand(values);
  if (sub !== "schema") throw new UsageError(`unknown check "${sub ?? ""}" (schema, drift, bias, performance)`);
  const refFile = need(values, "reference");
  const curFile = need(values, "current");
  // A .json reference is a stored schema/profile (`cairn profile --json`, a dataset version).
  const reference = refFile.toLowerCase().endsWith(".json") ? await readReferenceJson(refFile) : { profile: (await profileCsvFile(refFile)).profile };
  const cur = await profileCsvFile(curFile, reference.profile ? referenceRanges(reference.profile) : {});
  const report = checkSchema({ reference, current: cur.profile, ...(cur.scan ? { scan: cur.scan } : {}) });
  if (values.json) console.log(JSON.stringify(report));
  else printSchemaReport(report, refFile, curFile);
  return report.passed ? EXIT_OK : EXIT_FAILURE;
}

function printSchemaReport(r: SchemaReport, refFile: string, curFile: string): void {
  console.log(`schema check of ${curFile} (${r.currentRows} rows) against ${refFile}${r.referenceRows === null ? "" : ` (${r.referenceRows} rows)`}\n`);
  if (r.findings.length > 0) {
    const order = (s: string) => (s === "error" ? 0 : 1);
    const rows = [...r.findings].sort((a, b) => order(a.severity) - order(b.severity)).map((f) => [f.severity.toUpperCase(), f.kind, f.column ?? "-", f.message]);
    console.log(`${table(["SEVERITY", "KIND", "COLUMN", "MESSAGE"], rows)}\n`);
  }
  const errors = r.findings.filter((f) => f.severity === "error").length;
  console.log(r.passed ? `passed (${r.findings.length} warning${r.findings.length === 1 ? "" : "s"})` : `failed: ${errors} error${errors === 1 ? "" : "s"}, ${r.findings.length - errors} warning${r.findings.length - errors === 1 ? "" : "s"}`);
}
