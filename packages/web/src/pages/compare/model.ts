import type { MetricSummary, MetricValue, ParamValue, Run } from "@cairn/core";
import { PALETTE } from "../../components/Chart.js";

export const MIN_RUNS = 2;
export const MAX_RUNS = 20;

/**
 * One colour per selected run, the same in the header swatches, the chart lines and the
 * tables. The chart palette first; past its 12 colours, 8 more distinct hues (CARTO Bold)
 * so that 20 runs never share a colour.
 */
const EXTRA_COLOURS = ["#7F3C8D", "#11A579", "#3969AC", "#E73F74", "#008695", "#CF1C90", "#80BA5A", "#A5AA99"];
const COLOURS = [...PALETTE, ...EXTRA_COLOURS];
export const runColour = (index: number) => COLOURS[index % COLOURS.length]!;

/** `?runs=a,b,c` → the ids in order, trimmed, without blanks or repeats. */
export function parseRunIds(raw: string | null): string[] {
  const seen = new Set<string>();
  for (const part of (raw ?? "").split(",")) {
    const id = part.trim();
    if (id) seen.add(id);
  }
  return [...seen];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isRunId = (id: string) => UUID.test(id);

/** A run as the page shows it: its colour and a label that tells it apart from runs with the same name. */
export interface ComparedRun {
  run: Run;
  colour: string;
  label: string;
}

export function labelRuns(runs: Run[]): ComparedRun[] {
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.name, (count.get(r.name) ?? 0) + 1);
  return runs.map((run, i) => ({
    run,
    colour: runColour(i),
    // Two runs called "baseline" would be two identical legend rows: add the id's tail.
    label: (count.get(run.name) ?? 0) > 1 ? `${run.name} (${run.id.slice(-6)})` : run.name,
  }));
}

/** JSON cannot carry NaN or ±Infinity: they arrive as strings. */
export function metricNumber(v: MetricValue | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return v;
  return v === "NaN" ? Number.NaN : v === "Infinity" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

/** Every key present in any run, sorted. */
export function unionKeys(records: Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) keys.add(k);
  return [...keys].sort((a, b) => a.localeCompare(b));
}

/** A case-insensitive substring filter on keys; an empty filter keeps everything. */
export function matchesFilter(key: string, filter: string): boolean {
  const f = filter.trim().toLowerCase();
  return f === "" || key.toLowerCase().includes(f);
}

export interface DiffRow<V> {
  key: string;
  /** One entry per run, in the page's order; undefined where the run lacks the key. */
  values: (V | undefined)[];
  differs: boolean;
}

/**
 * Rows of a side-by-side table. Values are compared with their type (params are typed:
 * `0.1` and `"0.1"` differ), and a key that one run lacks differs.
 */
export function diffRows<V extends ParamValue>(records: Record<string, V>[]): DiffRow<V>[] {
  return unionKeys(records).map((key) => {
    const values = records.map((r) => (Object.hasOwn(r, key) ? r[key] : undefined));
    const first = JSON.stringify(values[0] ?? null) + typeof values[0];
    const differs = values.some((v) => JSON.stringify(v ?? null) + typeof v !== first);
    return { key, values, differs };
  });
}

export type Stat = "last" | "min" | "max";
export type Goal = "min" | "max";

/**
 * Which way is better for a metric, guessed from its name: losses, errors and times go
 * down, everything else (accuracy, F1, AUC, reward) goes up. The user can flip it per row.
 */
const LOWER_IS_BETTER = /(loss|err|error|mse|mae|rmse|mape|perplexity|ppl|latency|time|duration|seconds|_ms\b|wer|cer|fpr|fnr|regret|cost|distance|divergence)/i;
export const guessGoal = (key: string): Goal => (LOWER_IS_BETTER.test(key) ? "min" : "max");

export function statOf(summary: MetricSummary | undefined, stat: Stat): number | null {
  if (!summary) return null;
  return metricNumber(summary[stat]);
}

/** Indexes of the best finite values (ties all win); none when fewer than two runs have a value. */
export function bestIndexes(values: (number | null)[], goal: Goal): Set<number> {
  const finite = values.map((v, i) => [v, i] as const).filter((e): e is readonly [number, number] => e[0] !== null && Number.isFinite(e[0]));
  if (finite.length < 2) return new Set();
  const best = goal === "min" ? Math.min(...finite.map((e) => e[0])) : Math.max(...finite.map((e) => e[0]));
  return new Set(finite.filter((e) => e[0] === best).map((e) => e[1]));
}

/** A param or tag value as text: strings as they are, numbers and booleans by their JSON form. */
export function paramText(v: ParamValue | undefined): string {
  if (v === undefined) return "—";
  return typeof v === "string" ? v : String(v);
}

/** Metric keys grouped by their first path segment (`train/loss` → `train`), for section headings. */
export function groupKeys(keys: string[]): { group: string; keys: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const k of keys) {
    const slash = k.indexOf("/");
    const g = slash > 0 ? k.slice(0, slash) : "";
    groups.set(g, [...(groups.get(g) ?? []), k]);
  }
  // Ungrouped keys first (the headline metrics), then the groups by name.
  return [...groups.entries()].sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))).map(([group, ks]) => ({ group, keys: ks }));
}
