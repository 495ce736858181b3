/**
 * Class labels as they come from CSV cells, JSON records or typed arrays: strings,
 * numbers or booleans. Rows whose label is missing (null, undefined, "" or NaN) are
 * excluded by the checks and counted, as everywhere else in the checks.
 */
export type Label = string | number | boolean;
export type LabelInput = Label | null | undefined;

export const isMissingLabel = (v: unknown): boolean =>
  v === null || v === undefined || v === "" || (typeof v === "number" && Number.isNaN(v));

const typeRank = (v: Label): number => (typeof v === "boolean" ? 0 : typeof v === "number" ? 1 : 2);

/** numpy's np.unique order within a type (false < true, numbers ascending, strings by code unit). */
export function compareLabels(a: Label, b: Label): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** A label as the key of a JSON object (`groups`, confusion matrix labels, CLI `--positive`). */
export const labelKey = (v: Label): string => String(v);

/**
 * Encodes labels to dense class indices, one Map lookup per value. Classes are the
 * sorted union of every label seen, as sklearn's `unique_labels(y_true, y_pred)`.
 */
export class LabelEncoder {
  private readonly index = new Map<Label, number>();
  private readonly seen: Label[] = [];

  /** Index in order of first appearance; call `finish` to get the sorted remapping. */
  add(v: Label): number {
    let i = this.index.get(v);
    if (i === undefined) {
      i = this.seen.length;
      this.index.set(v, i);
      this.seen.push(v);
    }
    return i;
  }

  /** The sorted classes and, per first-appearance index, its position among them. */
  finish(): { classes: Label[]; remap: Uint32Array } {
    const order = this.seen.map((_, i) => i).sort((a, b) => compareLabels(this.seen[a]!, this.seen[b]!));
    const remap = new Uint32Array(order.length);
    for (let k = 0; k < order.length; k++) remap[order[k]!] = k;
    return { classes: order.map((i) => this.seen[i]!), remap };
  }
}

/** Finds `wanted` among classes by its text, so `--positive 1` matches the number 1 or "1". */
export function findLabel(classes: readonly Label[], wanted: LabelInput): number {
  if (isMissingLabel(wanted)) return -1;
  const key = labelKey(wanted as Label);
  return classes.findIndex((c) => labelKey(c) === key);
}

/**
 * The default positive class of a binary problem: a label reading "1" or "true" when
 * present (sklearn's pos_label=1), otherwise the greater label (what roc_auc_score uses).
 */
export function defaultPositive(classes: readonly Label[]): number {
  const i = classes.findIndex((c) => {
    const k = labelKey(c).toLowerCase();
    return k === "1" || k === "true";
  });
  return i >= 0 ? i : classes.length - 1;
}

/** Neumaier-compensated sum: summation error far below the 1e-12 we promise against numpy. */
export class CompensatedSum {
  private sum = 0;
  private c = 0;
  add(x: number): void {
    const t = this.sum + x;
    if (Math.abs(this.sum) >= Math.abs(x)) this.c += this.sum - t + x;
    else this.c += x - t + this.sum;
    this.sum = t;
  }
  get value(): number {
    return this.sum + this.c;
  }
}

/**
 * Sorted classes → JSON keys, merging classes with the same text (the number 1 and the
 * string "1" are one group in a report keyed by text). `slotOf[class]` is the key's index.
 */
export function keySlots(classes: readonly Label[]): { keys: string[]; slotOf: Int32Array } {
  const keys: string[] = [];
  const slot = new Map<string, number>();
  const slotOf = new Int32Array(classes.length);
  for (let j = 0; j < classes.length; j++) {
    const key = labelKey(classes[j]!);
    let s = slot.get(key);
    if (s === undefined) {
      s = keys.length;
      slot.set(key, s);
      keys.push(key);
    }
    slotOf[j] = s;
  }
  return { keys, slotOf };
}
