import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import {
  type ColumnScanResult,
  ColumnTypeChangeError,
  ColumnScan,
  CsvError,
  CsvParser,
  DatasetProfile,
  type DatasetProfiler,
  DatasetSchema,
  parseNumber,
  type ReferenceRange,
} from "@cairn/core";
import { z } from "zod";
import { headerOnly, readCsvBatches, withRestarts } from "../datasets/node/profile.js";

const READ_BYTES = 1 << 18;

/** Bad input data (exit code 2): the message names the file and the line, row or column. */
export class InputError extends Error {}

export interface CsvFileProfile {
  rowCount: number;
  digest: string;
  schema: DatasetSchema;
  profile: DatasetProfile;
  /** Present when `ranges` were given: exact out-of-range counts and duplicated columns. */
  scan?: ColumnScanResult;
}

/**
 * Profiles a CSV file as a stream, in CHUNK_ROWS batches like `logDataset` (same reader,
 * same profiler, same digest), and optionally scans it for the schema check in the same pass.
 * A column whose earlier rows were numbers and that then holds a word is bad input (exit 2);
 * other type changes (booleans that turn out to be categories) restart the pass.
 */
export async function profileCsvFile(path: string, ranges?: Readonly<Record<string, ReferenceRange>>): Promise<CsvFileProfile> {
  let scan: ColumnScan | undefined;
  const r = await withRestarts(
    (profiler) => {
      scan = ranges ? new ColumnScan(ranges) : undefined;
      return readInto(path, profiler, scan);
    },
    (change) => change.from !== "numerical",
  );
  return { ...r, ...(scan ? { scan: scan.result() } : {}) };
}

async function readInto(path: string, profiler: DatasetProfiler, scan: ColumnScan | undefined): Promise<void> {
  let rows = 0;
  let header: readonly string[] | undefined;
  try {
    header = await readCsvBatches(path, (batch) => {
      try {
        profiler.addColumns(batch.columns, batch.rowCount);
      } catch (err) {
        if (err instanceof ColumnTypeChangeError && err.from === "numerical") throw notANumber(path, err.column, batch.columns[err.column]!, rows);
        throw err;
      }
      scan?.add(batch.columns, batch.rowCount);
      rows += batch.rowCount;
    });
  } catch (err) {
    throw fileError(path, err);
  }
  if (!header) throw new InputError(`${path}: the file is empty (no header line)`);
  profiler.addColumns(headerOnly(header), 0);
}

/** A CSV file that cannot be read or parsed, as an input error naming the file (and the line). */
function fileError(path: string, err: unknown): unknown {
  if (err instanceof CsvError) return new InputError(`${path}: line ${err.line}: ${err.message.replace(/^line \d+: /, "")}`);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new InputError(`${path}: no such file`);
  if (code === "EISDIR") return new InputError(`${path}: is a directory, not a CSV file`);
  if (code === "EACCES") return new InputError(`${path}: permission denied`);
  return err;
}

function notANumber(path: string, column: string, values: readonly string[], before: number): InputError {
  const i = firstNonNumber(values);
  const at = i >= 0 ? `, data row ${before + i + 1}: ${JSON.stringify(values[i]!.slice(0, 60))} is not a number` : " holds a value that is not a number";
  return new InputError(`${path}: column "${column}"${at}, but the column's earlier values are numbers`);
}

export interface CsvColumns {
  path: string;
  names: readonly string[];
  columns: Record<string, string[]>;
  rowCount: number;
}

/** Reads a whole CSV file into columns of strings (drift, bias and performance need every value). */
export async function readCsvColumns(path: string): Promise<CsvColumns> {
  const parser = new CsvParser();
  try {
    for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: READ_BYTES })) parser.push(chunk as string);
    parser.end();
  } catch (err) {
    throw fileError(path, err);
  }
  if (!parser.header) throw new InputError(`${path}: the file is empty (no header line)`);
  const names = parser.header;
  const batch = parser.take();
  const columns: Record<string, string[]> = batch?.columns ?? Object.fromEntries(names.map((n) => [n, []]));
  return { path, names, columns, rowCount: batch?.rowCount ?? 0 };
}

/** The named column, or an input error listing the file's columns. */
export function columnOf(data: CsvColumns, name: string): string[] {
  if (!Object.hasOwn(data.columns, name)) throw new InputError(`${data.path}: no column "${name}" (columns: ${data.names.join(", ")})`);
  return data.columns[name]!;
}

/** The first present value that is not a number, as an index, or −1. */
export function firstNonNumber(values: readonly string[]): number {
  return values.findIndex((v) => v !== "" && parseNumber(v) === undefined);
}

/** A column of numbers (empty cells → NaN, missing); a word is an input error naming the file, column and row. */
export function numbersOf(data: CsvColumns, name: string, why: string): Float64Array {
  const values = columnOf(data, name);
  const bad = firstNonNumber(values);
  if (bad >= 0) throw new InputError(`${data.path}: column "${name}", data row ${bad + 1}: ${JSON.stringify(values[bad]!.slice(0, 60))} is not a number (${why})`);
  return Float64Array.from(values, (v) => (v === "" ? Number.NaN : parseNumber(v)!));
}

/**
 * A stored reference as JSON: the output of `cairn profile --json` or a dataset version
 * (`{ schema?, profile? }`, other fields ignored). Invalid JSON or shapes are input errors.
 */
export async function readReferenceJson(path: string): Promise<{ schema?: DatasetSchema; profile?: DatasetProfile }> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError(`${path}: no such file`);
    if (err instanceof SyntaxError) throw new InputError(`${path}: not valid JSON (${err.message})`);
    throw err;
  }
  const parsed = StoredReference.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`${path}: ${issue.path.join(".") || "(document)"}: ${issue.message}`);
  }
  if (!parsed.data.schema && !parsed.data.profile) throw new InputError(`${path}: needs a "schema" or a "profile"`);
  return { ...(parsed.data.schema ? { schema: parsed.data.schema } : {}), ...(parsed.data.profile ? { profile: parsed.data.profile } : {}) };
}

const StoredReference = z.object({ schema: DatasetSchema.optional(), profile: DatasetProfile.optional() });
