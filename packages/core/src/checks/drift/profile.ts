import type { ColumnProfile, DatasetProfile } from "../../schemas/datasets.js";
import type { DriftColumn, DriftMethod, DriftReport } from "../../schemas/checks.js";
import { chooseMethod, DRIFT_DEFAULTS, type DriftColumnOptions, verdict } from "./column.js";
import { summariseDrift } from "./detect.js";
import { binShares, jensenShannonDistance, populationStabilityIndex } from "./distances.js";
import { countCategories, type DriftData, DriftInputError, type DriftValue, prepareColumn, toColumns } from "./prepare.js";

/** Only the binned methods work from a profile: its deciles and category counts are all it keeps. */
export type ProfileDriftMethod = Extract<DriftMethod, "psi" | "jensenshannon">;

export interface ProfileDriftOptions extends Omit<DriftColumnOptions, "method"> {
  /** Default jensenshannon. */
  method?: ProfileDriftMethod;
  /** Profile columns to compare (default: every numerical/categorical/boolean profile column present in the current data). */
  columns?: readonly string[];
  driftShare?: number;
}

/** A profile column's bins: shares, and how a current value finds its bin. */
interface ProfileBins {
  type: "numerical" | "categorical";
  referenceShares: Float64Array;
  currentShares(values: ArrayLike<DriftValue>): { shares: Float64Array; size: number; missing: number };
}

const comparable = (p: ColumnProfile) => (p.type === "numerical" && !!p.numerical) || ((p.type === "categorical" || p.type === "boolean") && !!p.categorical);

function numericalBins(p: ColumnProfile): ProfileBins {
  const { edges, shares } = p.numerical!.deciles;
  return {
    type: "numerical",
    referenceShares: Float64Array.from(shares),
    currentShares(values) {
      const c = prepareColumn(values);
      if (!c.numbers) throw new DriftInputError(`column "${p.name}" is numerical in the profile but the current data has non-numeric values`);
      return { shares: c.numbers.length ? binShares(c.numbers, edges) : new Float64Array(edges.length + 1), size: c.numbers.length, missing: c.missing };
    },
  };
}

function categoricalBins(p: ColumnProfile): ProfileBins {
  const { top, otherCount } = p.categorical!;
  const total = top.reduce((s, t) => s + t.count, 0) + otherCount;
  const known = new Map(top.map((t, i) => [t.value, i]));
  // Values outside an incomplete top list fall in one "other" bin, as the profile counted them.
  const hasOther = otherCount > 0 || !p.categorical!.complete;
  return {
    type: "categorical",
    referenceShares: Float64Array.from([...top.map((t) => t.count), ...(hasOther ? [otherCount] : [])], (c) => (total ? c / total : 0)),
    currentShares(values) {
      const c = prepareColumn(values);
      const text = c.text(); // as the profiler saw the text: "02134" stays "02134"
      const counts = countCategories(text);
      const bins = new Float64Array(top.length + (hasOther ? 1 : 0));
      const extra: number[] = [];
      for (const [value, n] of counts) {
        const at = known.get(value);
        if (at !== undefined) bins[at]! += n;
        else if (hasOther) bins[top.length]! += n;
        else extra.push(n); // a new category: its own bin, with a reference share of 0
      }
      const shares = Float64Array.from([...bins, ...extra], (x) => (text.length ? x / text.length : 0));
      return { shares, size: text.length, missing: c.missing };
    },
  };
}

/**
 * Drift of current data against a stored profile (PSI or Jensen–Shannon over the profile's
 * decile bins or category counts), e.g. a production window against the training profile.
 */
export function driftAgainstProfile(profile: DatasetProfile | readonly ColumnProfile[], current: DriftData, opts: ProfileDriftOptions = {}): DriftReport {
  const profiles = "columns" in profile ? profile.columns : profile;
  const cur = toColumns(current);
  const byName = new Map(profiles.map((p) => [p.name, p]));
  let names: string[];
  if (opts.columns) {
    for (const n of opts.columns) {
      const p = byName.get(n);
      if (!p) throw new DriftInputError(`column "${n}" is not in the reference profile`);
      if (!Object.hasOwn(cur, n)) throw new DriftInputError(`column "${n}" is not in the current data`);
      if (!comparable(p)) throw new DriftInputError(`column "${n}" is ${p.type} in the profile: only numerical, categorical and boolean columns can be compared`);
    }
    names = [...opts.columns];
  } else names = profiles.filter((p) => comparable(p) && Object.hasOwn(cur, p.name)).map((p) => p.name);
  const columns = names.map((name): DriftColumn => {
    const p = byName.get(name)!;
    const bins = p.type === "numerical" ? numericalBins(p) : categoricalBins(p);
    const { method, threshold } = chooseMethod(bins.type, p.count, opts, opts.method ?? "jensenshannon");
    const c = bins.currentShares(cur[name]!);
    const base = { column: name, type: bins.type, method, threshold, referenceSize: p.count, currentSize: c.size, referenceMissing: p.missing, currentMissing: c.missing };
    const min = Math.max(2, opts.minSampleSize ?? DRIFT_DEFAULTS.minSampleSize);
    if (p.count < min || c.size < min) return { ...base, statistic: null, pValue: null, drifted: null, status: "not_enough_data" };
    const r = bins.referenceShares;
    const cs = c.shares;
    // New categories in the current data extend the reference with zero shares.
    const rFull = cs.length > r.length ? Float64Array.from({ length: cs.length }, (_, i) => r[i] ?? 0) : r;
    const statistic = method === "psi" ? populationStabilityIndex(rFull, cs) : jensenShannonDistance(rFull, cs);
    const drifted = verdict(method, statistic, null, threshold);
    return { ...base, statistic, pValue: null, drifted, status: drifted ? "drift" : "ok" };
  });
  return summariseDrift(columns, opts.driftShare);
}
