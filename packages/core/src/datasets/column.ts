import type { ColumnProfile, ColumnType, NumericalStats } from "../schemas/datasets.js";
import { stringColumnType, topCategories } from "./categories.js";
import { ColumnDigest, type DigestSink } from "./digest.js";
import { HyperLogLog } from "./hll.js";
import { sortFloat64 } from "./sort.js";
import { mergeNumerical, numericalFromSorted } from "./numerical.js";
import { joinKinds, kindOf, parseBoolean, parseDatetime, parseNumber, toBoolean, toDatetime, toNumber, toStringValue, type ValueKind } from "./values.js";

export interface ColumnOptions {
  topK: number;
  histogramBins: number;
  /** Finite values kept for exact quantiles (read per block); beyond it blocks are folded into the sketch. */
  exactLimit: () => number;
  /** Distinct strings counted exactly; later new values only reach `otherCount` and the HLL. */
  maxTrackedStrings: number;
  digest?: () => DigestSink;
}

/** A value that does not fit the column's kind, once the column already holds data of that kind. */
export interface KindChange {
  from: ValueKind;
  to: ValueKind;
}

const kindOfType = (t: ColumnType): ValueKind => (t === "numerical" ? "number" : t === "categorical" || t === "text" ? "string" : t);

/** Accumulates one column across chunks; `add` returns a KindChange instead of miscounting. */
export class ColumnAccumulator {
  kind: ValueKind | undefined;
  rows = 0;
  missing = 0;
  private hasData = false;
  private digest: ColumnDigest | undefined;
  // number and datetime
  private buf: Float64Array = new Float64Array(1024);
  private len = 0;
  private nonFinite = 0;
  private folded: NumericalStats | undefined;
  private readonly hll = new HyperLogLog();
  // boolean
  private trues = 0;
  private falses = 0;
  // string
  /** Distinct strings → index into `tally` (one Map lookup per value, not a get and a set). */
  private ids = new Map<string, number>();
  private tally: Float64Array = new Float64Array(64);
  private overflow = 0;
  private overflowLen = { min: Number.POSITIVE_INFINITY, max: 0, sum: 0 };

  constructor(
    readonly name: string,
    private readonly opts: ColumnOptions,
    readonly fixedType?: ColumnType,
  ) {
    this.kind = fixedType ? kindOfType(fixedType) : undefined;
    this.digest = opts.digest ? new ColumnDigest(opts.digest()) : undefined;
  }

  /** Adds `rows` values (a shorter or absent array means missing values). */
  add(values: ArrayLike<unknown> | undefined, rows: number): KindChange | undefined {
    const before = this.rows;
    for (;;) {
      if (!values) return this.addMissing(rows);
      if (this.kind === undefined) {
        let first = 0;
        while (first < rows && isMissingAt(values, first)) first++;
        if (first === rows) return this.addMissing(rows);
        this.kind = ArrayBuffer.isView(values) ? "number" : kindOf(values[first]);
      }
      const kind = this.kind;
      const failed = this.addAs(kind, values, rows);
      if (failed < 0) {
        this.rows += rows;
        if (this.rows > this.missing) this.hasData = true;
        return undefined;
      }
      const to = joinKinds(kind, kindOf(values[failed]));
      if (this.hasData || this.fixedType) return { from: kind, to };
      this.restart(before, to);
    }
  }

  private addMissing(rows: number): undefined {
    this.missing += rows;
    this.rows += rows;
    this.digest?.missingRun(rows);
    return undefined;
  }

  /** The first chunk with data did not fit the guessed kind: start over (all earlier rows were missing). */
  private restart(before: number, kind: ValueKind): void {
    this.len = this.nonFinite = this.trues = this.falses = this.overflow = 0;
    this.folded = undefined;
    this.ids = new Map();
    this.tally = new Float64Array(64);
    this.hll.registers.fill(0);
    this.overflowLen = { min: Number.POSITIVE_INFINITY, max: 0, sum: 0 };
    this.missing = before;
    this.kind = kind;
    if (this.opts.digest) {
      this.digest = new ColumnDigest(this.opts.digest());
      this.digest.missingRun(before);
    }
  }

  /** Returns the index of the first value that does not fit, or −1. */
  private addAs(kind: ValueKind, values: ArrayLike<unknown>, rows: number): number {
    if (kind === "number" || kind === "datetime") return this.addNumbers(kind, values, rows);
    return kind === "boolean" ? this.addBooleans(values, rows) : this.addStrings(values, rows);
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    const next = new Float64Array(Math.max(this.buf.length * 2, this.len + extra));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private addNumbers(kind: "number" | "datetime", values: ArrayLike<unknown>, rows: number): number {
    const dg = this.digest;
    const isDate = kind === "datetime";
    let done = 0;
    while (done < rows) {
      // Fold full blocks into the sketch so memory stays bounded for data larger than memory.
      const limit = this.opts.exactLimit();
      if (this.len >= limit) this.fold();
      const end = Math.min(rows, done + Math.max(1, limit - this.len));
      this.ensure(end - done);
      const buf = this.buf;
      let len = this.len;
      if (ArrayBuffer.isView(values) && !isDate) {
        const typed = values as unknown as ArrayLike<number>;
        for (let i = done; i < end; i++) {
          const x = Number(typed[i]);
          if (x - x === 0) buf[len++] = x + 0;
          else this.nonFinite++;
          dg?.number(x);
        }
      } else {
        for (let i = done; i < end; i++) {
          const v = values[i];
          let x: number | undefined;
          if (typeof v === "number") x = v;
          else if (v === null || v === undefined || v === "") {
            this.missing++;
            dg?.missing();
            continue;
          } else x = isDate ? (typeof v === "string" ? parseDatetime(v) : toDatetime(v)) : typeof v === "string" ? parseNumber(v) : toNumber(v);
          if (x === undefined || (isDate && typeof v === "number")) {
            this.len = len;
            return i;
          }
          if (x - x === 0) buf[len++] = x + 0;
          else this.nonFinite++;
          if (isDate) dg?.datetime(x);
          else dg?.number(x);
        }
      }
      this.len = len;
      done = end;
    }
    return -1;
  }

  private addBooleans(values: ArrayLike<unknown>, rows: number): number {
    const dg = this.digest;
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      if (v === null || v === undefined || v === "") {
        this.missing++;
        dg?.missing();
        continue;
      }
      const b = typeof v === "boolean" ? v : typeof v === "string" ? parseBoolean(v) : toBoolean(v);
      if (b === undefined) return i;
      if (b) this.trues++;
      else this.falses++;
      dg?.boolean(b);
    }
    return -1;
  }

  private addStrings(values: ArrayLike<unknown>, rows: number): number {
    const dg = this.digest;
    const ids = this.ids;
    let tally = this.tally;
    const cap = this.opts.maxTrackedStrings;
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      if (v === null || v === undefined || v === "") {
        this.missing++;
        dg?.missing();
        continue;
      }
      const s = typeof v === "string" ? v : toStringValue(v);
      const id = ids.get(s);
      if (id !== undefined) tally[id]!++;
      else if (ids.size < cap) {
        if (ids.size === tally.length) tally = this.growTally();
        tally[ids.size] = 1;
        ids.set(s, ids.size);
      } else {
        this.overflow++;
        this.hll.addString(s);
        const l = this.overflowLen;
        l.min = Math.min(l.min, s.length);
        l.max = Math.max(l.max, s.length);
        l.sum += s.length;
      }
      dg?.string(s);
    }
    return -1;
  }

  private growTally(): Float64Array {
    const next = new Float64Array(this.tally.length * 2);
    next.set(this.tally);
    this.tally = next;
    return next;
  }

  /**
   * Counts per value as the profile shows them (see shownValue); values that then look
   * alike are counted together. The digest still sees the raw values.
   */
  private counts(): Iterable<[string, number]> {
    const out = new Map<string, number>();
    for (const [s, id] of this.ids) {
      const shown = shownValue(s);
      out.set(shown, (out.get(shown) ?? 0) + this.tally[id]!);
    }
    return out;
  }

  /** Sorts the buffered values and folds their exact figures into the running ones. */
  private fold(): void {
    if (this.len === 0) return;
    const sorted = sortFloat64(this.buf.subarray(0, this.len));
    for (let i = 0; i < this.len; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) this.hll.addNumber(sorted[i]!);
    const block = numericalFromSorted(sorted, this.len, 0, this.opts.histogramBins);
    this.folded = this.folded ? mergeNumerical(this.folded, block, this.opts.histogramBins) : block;
    this.len = 0;
  }

  /** The column's type for its error message when widening (categorical or text by the distinct values seen). */
  typeAfterWidening(to: ValueKind): ColumnType {
    if (to !== "string") return to === "number" ? "numerical" : to;
    if (this.kind === "boolean") return "categorical";
    const seen = new Set<number>();
    for (let i = 0; i < this.len && seen.size <= 1000; i++) seen.add(this.buf[i]!);
    return stringColumnType(seen.size + (this.folded ? 1001 : 0), this.rows - this.missing);
  }

  /** Digest kind: the storage kind, or "empty" for a column without any value. */
  digestKind(): string {
    return this.rows - this.missing === 0 ? "empty" : (this.kind ?? "empty");
  }

  columnDigest(): string | undefined {
    return this.digest?.digest();
  }

  profile(): ColumnProfile {
    const count = this.rows - this.missing;
    const base = { name: this.name, count, missing: this.missing };
    // A fixed type keeps its shape without values (a boolean column still has its two counts).
    const kind = count === 0 && !this.fixedType ? undefined : this.kind;
    if (kind === "number" || kind === "datetime") {
      let exactDistinct: number | undefined;
      let numerical: NumericalStats | undefined;
      if (!this.folded && this.len > 0) {
        const sorted = sortFloat64(this.buf.subarray(0, this.len));
        exactDistinct = 0;
        for (let i = 0; i < this.len; i++) {
          if (i === 0 || sorted[i] !== sorted[i - 1]) {
            exactDistinct++;
            this.hll.addNumber(sorted[i]!);
          }
        }
        numerical = numericalFromSorted(sorted, this.len, this.nonFinite, this.opts.histogramBins);
        this.len = 0;
      } else {
        this.fold();
        numerical = this.folded && { ...this.folded, nonFinite: this.nonFinite };
      }
      const distinct = { estimate: exactDistinct ?? this.hll.estimate(), hll: this.hll.toBase64() };
      return { ...base, type: kind === "number" ? "numerical" : "datetime", distinct, ...(numerical ? { numerical } : {}) };
    }
    if (kind === "boolean") {
      if (this.trues) this.hll.addNumber(1);
      if (this.falses) this.hll.addNumber(0);
      const pairs: Array<[string, number]> = [["true", this.trues], ["false", this.falses]];
      return {
        ...base,
        type: "boolean",
        distinct: { estimate: (this.trues ? 1 : 0) + (this.falses ? 1 : 0), hll: this.hll.toBase64() },
        boolean: { trueCount: this.trues, falseCount: this.falses },
        categorical: topCategories(pairs.filter((p) => p[1] > 0), count, this.opts.topK, true),
      };
    }
    let minLength = this.overflowLen.min;
    let maxLength = this.overflowLen.max;
    let sumLength = this.overflowLen.sum;
    for (const [s, id] of this.ids) {
      const c = this.tally[id]!;
      this.hll.addString(s);
      if (s.length < minLength) minLength = s.length;
      if (s.length > maxLength) maxLength = s.length;
      sumLength += s.length * c;
    }
    const exact = this.overflow === 0;
    const estimate = exact ? this.ids.size : this.hll.estimate();
    const type = this.fixedType ?? stringColumnType(estimate, count);
    return {
      ...base,
      type,
      distinct: { estimate, hll: this.hll.toBase64() },
      categorical: topCategories(this.counts(), count, this.opts.topK, exact),
      text: { minLength: count ? minLength : 0, maxLength, meanLength: count ? sumLength / count : 0 },
    };
  }
}

const isMissingAt = (values: ArrayLike<unknown>, i: number) => {
  const v = values[i];
  return v === null || v === undefined || v === "";
};

/** Longest category value a profile lists, in UTF-16 code units: a profile stays small whatever the data. */
export const MAX_SHOWN_VALUE = 1000;

/** NUL becomes U+FFFD (PostgreSQL's jsonb cannot store NUL); longer values are cut to MAX_SHOWN_VALUE and end in "…". */
function shownValue(s: string): string {
  let v = s.includes("\u0000") ? s.replaceAll("\u0000", "\uFFFD") : s;
  if (v.length > MAX_SHOWN_VALUE) {
    let cut = MAX_SHOWN_VALUE - 1;
    const c = v.charCodeAt(cut - 1);
    if (c >= 0xd800 && c <= 0xdbff) cut--;
    v = `${v.slice(0, cut)}…`;
  }
  return v;
}
