/** JSON Lines: one JSON object per line; blank lines are skipped; errors name the 1-based line. */

export class JsonLinesError extends Error {
  override readonly name = "JsonLinesError";
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

export interface JsonLinesChunk {
  records: Record<string, unknown>[];
  /** Text after the last complete line: prepend it to the next chunk. */
  rest: string;
  /** Line number of the first line of `rest`. */
  nextLine: number;
}

/**
 * Parses the complete lines of `text` (all of it when `final`); `firstLine` is the line
 * number of text[0], so errors point at the file's line.
 */
export function parseJsonLinesChunk(text: string, firstLine = 1, final = false): JsonLinesChunk {
  const records: Record<string, unknown>[] = [];
  let line = firstLine;
  let pos = 0;
  if (firstLine === 1 && text.charCodeAt(0) === 0xfeff) pos = 1;
  for (;;) {
    let nl = text.indexOf("\n", pos);
    if (nl < 0) {
      if (!final) break;
      nl = text.length;
    }
    const raw = text.slice(pos, nl);
    const src = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (src.trim() !== "") {
      let value: unknown;
      try {
        value = JSON.parse(src);
      } catch (err) {
        throw new JsonLinesError(line, `invalid JSON: ${(err as Error).message}`);
      }
      if (value === null || typeof value !== "object" || Array.isArray(value)) throw new JsonLinesError(line, "a line must hold a JSON object");
      records.push(value as Record<string, unknown>);
    }
    pos = nl + 1;
    line++;
    if (pos > text.length) break;
  }
  return { records, rest: pos >= text.length ? "" : text.slice(pos), nextLine: line };
}

/** Streaming wrapper: push text, take the records parsed so far. */
export class JsonLinesParser {
  private rest = "";
  private line = 1;
  private records: Record<string, unknown>[] = [];

  push(chunk: string): void {
    const r = parseJsonLinesChunk(this.rest + chunk, this.line, false);
    this.absorb(r);
  }

  end(): void {
    this.absorb(parseJsonLinesChunk(this.rest, this.line, true));
  }

  get pendingRecords(): number {
    return this.records.length;
  }

  /** Takes every record parsed so far (at most `maxRecords`). */
  take(maxRecords = Number.POSITIVE_INFINITY): Record<string, unknown>[] {
    if (maxRecords >= this.records.length) {
      const all = this.records;
      this.records = [];
      return all;
    }
    return this.records.splice(0, maxRecords);
  }

  private absorb(r: JsonLinesChunk): void {
    for (const rec of r.records) this.records.push(rec);
    this.rest = r.rest;
    this.line = r.nextLine;
  }
}
