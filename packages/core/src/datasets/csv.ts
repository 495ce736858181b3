/**
 * A streaming RFC 4180 CSV parser: quoted fields with "" escapes and line breaks, CRLF or
 * LF line breaks (a lone CR is data), a leading BOM, chunk boundaries anywhere. Empty lines
 * are skipped. Rows come out as columns of strings, as many at a time as the caller asks for.
 */

export class CsvError extends Error {
  override readonly name = "CsvError";
  constructor(
    /** 1-based physical line (line breaks inside quoted fields count). */
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

export interface CsvOptions {
  /** One character; default ",". */
  delimiter?: string;
  /** The first row names the columns (default true); otherwise they are column_1, column_2, … */
  header?: boolean;
}

export interface CsvBatch {
  columns: Record<string, string[]>;
  rowCount: number;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

export class CsvParser {
  private readonly delim: number;
  private readonly hasHeader: boolean;
  private names: string[] | undefined;
  private cols: string[][] = [];
  private row: string[] = [];
  private taken = 0;
  private buf = "";
  /** Physical line of buf[0]. */
  private line = 1;
  private started = false;
  private ended = false;

  constructor(opts: CsvOptions = {}) {
    const d = opts.delimiter ?? ",";
    if (d.length !== 1 || d === '"' || d === "\n" || d === "\r") throw new RangeError("the delimiter must be one character other than a quote or a line break");
    this.delim = d.charCodeAt(0);
    this.hasHeader = opts.header ?? true;
  }

  /** Column names, once the first row has been read. */
  get header(): readonly string[] | undefined {
    return this.names;
  }

  /** Complete rows parsed and not yet taken. */
  get pendingRows(): number {
    return (this.cols[0]?.length ?? 0) - this.taken;
  }

  push(chunk: string): void {
    if (this.ended) throw new Error("push after end");
    if (!this.started && (this.buf.length > 0 || chunk.length > 0)) {
      const all = this.buf + chunk;
      if (all.length === 0) return;
      this.started = true;
      this.buf = all.charCodeAt(0) === 0xfeff ? all.slice(1) : all;
    } else this.buf += chunk;
    this.parse();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.started && this.buf.charCodeAt(0) === 0xfeff) this.buf = this.buf.slice(1);
    this.parse();
  }

  /** Takes up to `maxRows` complete rows as columns, or undefined when none is pending. */
  take(maxRows = Number.POSITIVE_INFINITY): CsvBatch | undefined {
    const pending = this.pendingRows;
    if (!this.names || pending <= 0) return undefined;
    const m = Math.min(pending, maxRows);
    // Null prototype: a header may name a column "__proto__".
    const columns: Record<string, string[]> = Object.create(null);
    const whole = this.taken === 0 && m === pending;
    this.names.forEach((name, k) => {
      const col = this.cols[k]!;
      columns[name] = whole ? col : col.slice(this.taken, this.taken + m);
    });
    if (whole || this.taken + m === this.cols[0]!.length) {
      this.cols = this.names.map(() => []);
      this.taken = 0;
    } else {
      this.taken += m;
      // Drop taken rows once they are most of the arrays, so memory follows the pending rows.
      if (this.taken > 4096 && this.taken * 2 > this.cols[0]!.length) {
        const from = this.taken;
        this.cols = this.cols.map((c) => c.slice(from));
        this.taken = 0;
      }
    }
    return { columns, rowCount: m };
  }

  private parse(): void {
    const buf = this.buf;
    const n = buf.length;
    const ended = this.ended;
    const delim = this.delim;
    const delimChar = String.fromCharCode(delim);
    const row = this.row;
    let pos = 0;
    let line = this.line;
    let lineAtPos = line;
    // Next line feed and delimiter at or after the cursor: each found once by indexOf (fast on one-byte strings).
    let nextLf = -1;
    let nextDelim = -1;
    rows: while (pos < n) {
      let c = buf.charCodeAt(pos);
      if (c === LF || (c === CR && buf.charCodeAt(pos + 1) === LF)) {
        pos += c === CR ? 2 : 1;
        lineAtPos = ++line;
        continue;
      }
      if (c === CR && pos + 1 >= n && !ended) break;
      const rowLine = line;
      let fields = 0;
      let p = pos;
      for (;;) {
        let value: string;
        if (buf.charCodeAt(p) === QUOTE) {
          const fieldLine = line;
          let seg = p + 1;
          let parts: string | undefined;
          for (;;) {
            const q = buf.indexOf('"', seg);
            if (q < 0 || (q + 1 >= n && !ended)) {
              if (!ended) break rows;
              throw new CsvError(fieldLine, "a quoted field is not closed");
            }
            line += countLf(buf, seg, q);
            if (buf.charCodeAt(q + 1) === QUOTE) {
              parts = (parts ?? "") + buf.slice(seg, q + 1);
              seg = q + 2;
              continue;
            }
            value = parts === undefined ? buf.slice(seg, q) : parts + buf.slice(seg, q);
            p = q + 1;
            break;
          }
          c = buf.charCodeAt(p);
          if (c === CR && p + 1 >= n && !ended) break rows;
          if (p < n && c !== delim && c !== LF && !(c === CR && buf.charCodeAt(p + 1) === LF)) {
            throw new CsvError(line, `unexpected character after a closing quote in field ${fields + 1}`);
          }
        } else {
          const start = p;
          if (nextLf < p) {
            nextLf = buf.indexOf("\n", p);
            if (nextLf < 0) nextLf = n;
          }
          if (nextDelim < p) {
            nextDelim = buf.indexOf(delimChar, p);
            if (nextDelim < 0) nextDelim = n;
          }
          let end = Math.min(nextDelim, nextLf);
          if (end >= n && !ended) break rows;
          p = end;
          // A CR right before the LF belongs to the line break.
          if (end === nextLf && end > start && buf.charCodeAt(end - 1) === CR) end--;
          value = buf.slice(start, end);
        }
        if (fields < row.length) row[fields] = value;
        else row.push(value);
        fields++;
        if (p >= n) break;
        c = buf.charCodeAt(p);
        if (c === delim) {
          p++;
          if (p >= n && !ended) break rows;
          if (p >= n) {
            if (fields < row.length) row[fields] = "";
            else row.push("");
            fields++;
            break;
          }
          continue;
        }
        p += c === CR ? 2 : 1;
        line++;
        break;
      }
      this.commit(fields, rowLine);
      pos = p;
      lineAtPos = line;
    }
    // An incomplete row is parsed again, with its lines, once more text arrives.
    this.buf = pos >= n ? "" : buf.slice(pos);
    this.line = lineAtPos;
  }

  private commit(fields: number, line: number): void {
    const row = this.row;
    if (!this.names) {
      if (this.hasHeader) {
        this.names = checkHeader(row.slice(0, fields), line);
        this.cols = this.names.map(() => []);
        return;
      }
      this.names = Array.from({ length: fields }, (_, k) => `column_${k + 1}`);
      this.cols = this.names.map(() => []);
    }
    const cols = this.cols;
    if (fields !== cols.length) throw new CsvError(line, `row has ${fields} fields, the header has ${cols.length}`);
    for (let k = 0; k < fields; k++) cols[k]!.push(row[k]!);
  }
}

function countLf(s: string, from: number, to: number): number {
  let count = 0;
  let i = s.indexOf("\n", from);
  while (i >= 0 && i < to) {
    count++;
    i = s.indexOf("\n", i + 1);
  }
  return count;
}

function checkHeader(names: string[], line: number): string[] {
  const seen = new Set<string>();
  names.forEach((name, k) => {
    if (name.trim() === "") throw new CsvError(line, `column ${k + 1} has no name`);
    if (seen.has(name)) throw new CsvError(line, `column name "${name}" appears twice`);
    seen.add(name);
  });
  return names;
}
