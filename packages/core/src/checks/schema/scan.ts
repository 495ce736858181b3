import { parseNumber } from "../../datasets/values.js";

/** A numerical reference range: values of the current data outside it are counted. */
export interface ReferenceRange {
  min: number;
  max: number;
}

export interface ColumnScanResult {
  /** Finite values below the reference min / above the reference max, per column with a range. */
  outOfRange: Record<string, { below: number; above: number }>;
  /** Groups of columns (≥ 2) whose values are identical row by row, in first-seen order. */
  duplicates: string[][];
}

const MISSING = 0x9e3779b9;

/**
 * What a profile cannot tell, counted from the current data in the same pass as the profiler:
 * exact out-of-range counts against the reference's [min, max], and a 64-bit order-sensitive
 * hash of each column's values (two independent 32-bit hashes) to find duplicated columns.
 * Values are compared as numbers when they parse as numbers ("1.0" equals "1"), otherwise as
 * text; missing values ("" / null / undefined) are equal to each other. A hash collision
 * (≈ 2^-64 per pair) is the only way two different columns can be reported as duplicates.
 */
export class ColumnScan {
  private readonly h1 = new Map<string, number>();
  private readonly h2 = new Map<string, number>();
  private readonly below = new Map<string, number>();
  private readonly above = new Map<string, number>();
  private readonly order: string[] = [];

  constructor(private readonly ranges: Readonly<Record<string, ReferenceRange>> = {}) {}

  add(columns: Readonly<Record<string, ArrayLike<unknown>>>, rowCount: number): void {
    for (const name of Object.keys(columns)) {
      if (!this.h1.has(name)) {
        this.order.push(name);
        this.h1.set(name, 0x811c9dc5);
        this.h2.set(name, 0x01000193);
      }
      const values = columns[name]!;
      const range = Object.hasOwn(this.ranges, name) ? this.ranges[name] : undefined;
      let a = this.h1.get(name)!;
      let b = this.h2.get(name)!;
      let lo = 0;
      let hi = 0;
      for (let i = 0; i < rowCount; i++) {
        const v = values[i];
        let x: number | undefined;
        let s: string | undefined;
        if (v === null || v === undefined || v === "") {
          a = Math.imul(a ^ MISSING, 0x01000193);
          b = Math.imul(b ^ MISSING, 0x5bd1e995);
          b ^= b >>> 15;
          continue;
        }
        if (typeof v === "number") x = v;
        else if (typeof v === "string") {
          x = parseNumber(v);
          if (x === undefined) s = v;
        } else s = String(v);
        if (x !== undefined) {
          if (range && x - x === 0) {
            if (x < range.min) lo++;
            else if (x > range.max) hi++;
          }
          // Hash the double's two 32-bit words (-0 and 0 as one value).
          f64[0] = x === 0 ? 0 : x;
          const low = u32[0]!;
          const high = u32[1]!;
          a = Math.imul(a ^ low, 0x01000193);
          a = Math.imul(a ^ high, 0x01000193);
          b = Math.imul(b ^ high, 0x5bd1e995);
          b = Math.imul(b ^ low, 0x5bd1e995);
          b ^= b >>> 13;
        } else {
          const str = s!;
          for (let k = 0; k < str.length; k++) {
            const c = str.charCodeAt(k);
            a = Math.imul(a ^ c, 0x01000193);
            b = Math.imul(b ^ c, 0x5bd1e995);
            b ^= b >>> 15;
          }
          // The length ends a value, so "ab","c" differs from "a","bc".
          a = Math.imul(a ^ (str.length + 0x3c6ef372), 0x01000193);
          b = Math.imul(b ^ (str.length + 0x3c6ef372), 0x5bd1e995);
        }
      }
      this.h1.set(name, a);
      this.h2.set(name, b);
      if (range) {
        this.below.set(name, (this.below.get(name) ?? 0) + lo);
        this.above.set(name, (this.above.get(name) ?? 0) + hi);
      }
    }
  }

  result(): ColumnScanResult {
    const outOfRange: ColumnScanResult["outOfRange"] = Object.create(null);
    for (const name of this.order) {
      if (this.below.has(name)) outOfRange[name] = { below: this.below.get(name)!, above: this.above.get(name)! };
    }
    const groups = new Map<string, string[]>();
    for (const name of this.order) {
      const key = `${this.h1.get(name)!}:${this.h2.get(name)!}`;
      const g = groups.get(key);
      if (g) g.push(name);
      else groups.set(key, [name]);
    }
    return { outOfRange, duplicates: [...groups.values()].filter((g) => g.length > 1) };
  }
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
