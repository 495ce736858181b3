import type { ColumnProfile } from "@cairn/core";
import { profileCsvFile } from "./check-input.js";
import { type CliValues, EXIT_OK, UsageError } from "./main.js";
import { table } from "./query.js";

export const PROFILE_HELP = "  cairn profile <file.csv> [--json]             the schema and profile of a CSV file (as logDataset computes them)";

const num = (x: number) => String(Number(x.toPrecision(6)));

function summary(c: ColumnProfile): string {
  if (c.numerical) return `min ${num(c.numerical.min)}  mean ${num(c.numerical.mean)}  max ${num(c.numerical.max)}`;
  if (c.categorical) {
    const top = c.categorical.top.slice(0, 3).map((t) => `${t.value.slice(0, 20)} (${(t.share * 100).toFixed(1)}%)`);
    return top.join(", ") + (c.categorical.top.length > 3 || c.categorical.otherCount > 0 ? ", …" : "");
  }
  return "";
}

export async function profileCommand(values: CliValues, rest: string[]): Promise<number> {
  if (rest.length !== 1) throw new UsageError("profile needs exactly one CSV file");
  const file = rest[0]!;
  const r = await profileCsvFile(file);
  if (values.json) {
    console.log(JSON.stringify({ file, rowCount: r.rowCount, digest: r.digest, schema: r.schema, profile: r.profile }));
    return EXIT_OK;
  }
  console.log(`${file}: ${r.rowCount} rows, ${r.profile.columns.length} columns, ${r.digest}\n`);
  const rows = r.profile.columns.map((c) => [c.name, c.type, String(c.count), String(c.missing), String(Math.round(c.distinct.estimate)), summary(c)]);
  console.log(table(["COLUMN", "TYPE", "COUNT", "MISSING", "DISTINCT", "SUMMARY"], rows));
  return EXIT_OK;
}
