import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatasetData } from "../types.js";

const LINES_PER_WRITE = 10_000;

/** JSON has no NaN or BigInt: NaN/±Infinity become null (as JSON.stringify does), BigInts strings. */
const replacer = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);

function* lines(data: Exclude<DatasetData, string>): Generator<string> {
  if (Array.isArray(data)) {
    for (const record of data as ReadonlyArray<Record<string, unknown>>) yield JSON.stringify(record, replacer);
    return;
  }
  const columns = Object.entries(data as Readonly<Record<string, ArrayLike<unknown>>>);
  const n = columns[0]?.[1].length ?? 0;
  for (let i = 0; i < n; i++) {
    const record: Record<string, unknown> = {};
    for (const [name, values] of columns) {
      const v = values[i];
      if (v !== undefined) record[name] = v;
    }
    yield JSON.stringify(record, replacer);
  }
}

/** Writes in-memory rows as a JSON Lines temp file, runs `fn` on it and removes it. */
export async function withJsonLinesFile<T>(data: Exclude<DatasetData, string>, fn: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-dataset-"));
  try {
    const file = join(dir, "data.jsonl");
    const handle = await open(file, "w", 0o600);
    try {
      let batch: string[] = [];
      for (const line of lines(data)) {
        batch.push(line);
        if (batch.length >= LINES_PER_WRITE) {
          await handle.write(`${batch.join("\n")}\n`);
          batch = [];
        }
      }
      if (batch.length > 0) await handle.write(`${batch.join("\n")}\n`);
    } finally {
      await handle.close();
    }
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
