import { readFile } from "node:fs/promises";
import { InputError, readCsvColumns } from "../../cli/check-input.js";
import { CairnError } from "../../client/errors.js";
import { extname } from "node:path";
import { type Columns, recordsToColumns } from "../check-data.js";

/** A CSV (as the `cairn check` commands read it: every cell text, empty cells missing) or JSON Lines file as columns. */
export async function readDataFile(path: string): Promise<Columns> {
  const ext = extname(path).toLowerCase();
  if (ext !== ".csv" && ext !== ".jsonl" && ext !== ".ndjson") throw new CairnError(`check: cannot tell the format of ${path} from its extension (.csv, .jsonl, .ndjson)`);
  if (ext === ".csv") {
    try {
      return (await readCsvColumns(path)).columns;
    } catch (err) {
      if (err instanceof InputError) throw new CairnError(`check: ${err.message}`, { cause: err });
      throw err;
    }
  }
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new CairnError(`check: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const rows: Record<string, unknown>[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new CairnError(`check: ${path}: line ${i + 1}: not valid JSON`);
    }
    if (row === null || typeof row !== "object" || Array.isArray(row)) throw new CairnError(`check: ${path}: line ${i + 1}: a line must hold a JSON object`);
    rows.push(row as Record<string, unknown>);
  });
  return recordsToColumns(rows);
}
