import type { Run } from "@cairn/core";

/**
 * A column of the runs table. Its id is what the address holds (`cols=name,status,metrics.acc`):
 * a run attribute, or `metrics.` / `params.` / `tags.` followed by the key. Keys never contain
 * commas (letters, digits, spaces and `_ - . / :`), so a comma-separated list is unambiguous.
 */
export type Column =
  | { id: string; kind: "attribute"; name: Attribute; label: string }
  | { id: string; kind: "metric" | "param" | "tag"; key: string; label: string };

export const ATTRIBUTES = ["name", "status", "started", "ended", "duration", "created", "id"] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

const ATTRIBUTE_LABELS: Record<Attribute, string> = {
  name: "Name",
  status: "Status",
  started: "Started",
  ended: "Ended",
  duration: "Duration",
  created: "Created",
  id: "Run id",
};

const PREFIX = { metric: "metrics.", param: "params.", tag: "tags." } as const;

export function columnFromId(id: string): Column | undefined {
  if ((ATTRIBUTES as readonly string[]).includes(id)) return { id, kind: "attribute", name: id as Attribute, label: ATTRIBUTE_LABELS[id as Attribute] };
  for (const kind of ["metric", "param", "tag"] as const) {
    const prefix = PREFIX[kind];
    if (id.startsWith(prefix) && id.length > prefix.length) return { id, kind, key: id.slice(prefix.length), label: id.slice(prefix.length) };
  }
  return undefined;
}

export const columnId = (kind: "metric" | "param" | "tag", key: string) => `${PREFIX[kind]}${key}`;

export function parseColumns(param: string | null): Column[] | undefined {
  if (param === null) return undefined;
  const seen = new Set<string>();
  const out: Column[] = [];
  for (const id of param.split(",")) {
    const c = columnFromId(id);
    // `name` is always shown first (it is the link to the run), so it is not a choice.
    if (c && c.id !== "name" && !seen.has(c.id)) {
      seen.add(c.id);
      out.push(c);
    }
  }
  return out;
}

export const formatColumns = (cols: readonly Column[]) => cols.map((c) => c.id).join(",");

/** The keys seen in the loaded runs, sorted, per kind: what the column picker offers. */
export interface KeysSeen {
  metric: string[];
  param: string[];
  tag: string[];
}

export function keysSeen(runs: readonly Run[]): KeysSeen {
  const metric = new Set<string>();
  const param = new Set<string>();
  const tag = new Set<string>();
  for (const r of runs) {
    for (const k in r.metrics) metric.add(k);
    for (const k in r.params) param.add(k);
    for (const k in r.tags) tag.add(k);
  }
  const sorted = (s: Set<string>) => [...s].sort((a, b) => a.localeCompare(b));
  return { metric: sorted(metric), param: sorted(param), tag: sorted(tag) };
}

/** With no `cols` in the address: status, start, duration and the first few metrics. */
export function defaultColumns(keys: KeysSeen): Column[] {
  const base = (["status", "started", "duration"] as const).map((id) => columnFromId(id)!);
  return [...base, ...keys.metric.slice(0, 4).map((k) => columnFromId(columnId("metric", k))!)];
}

/** A key as the filter language reads it: plain when it can be, in backticks otherwise. */
const PLAIN_KEY = /^[A-Za-z0-9_./:-]+$/;
const fieldKey = (key: string) => (PLAIN_KEY.test(key) ? key : `\`${key}\``);

/** The API's `orderBy` field for a column, or undefined when the server cannot sort on it (duration). */
export function serverSortField(c: Column): string | undefined {
  if (c.kind === "attribute") return c.name === "duration" ? undefined : c.name;
  return `${PREFIX[c.kind]}${fieldKey(c.key)}`;
}

export type Direction = "asc" | "desc";

export function durationMs(r: Run, now: number): number | null {
  const start = Date.parse(r.startedAt);
  if (r.endedAt) return Date.parse(r.endedAt) - start;
  if (r.status === "running") return now - start;
  // A crashed run never ended: its last heartbeat is the last time it was alive.
  return Date.parse(r.heartbeatAt) - start;
}

/** Sorts loaded runs by duration (the one column the API does not sort); runs without one last. */
export function sortByDuration(runs: readonly Run[], dir: Direction, now: number): Run[] {
  const sign = dir === "asc" ? 1 : -1;
  const keyed = runs.map((r) => ({ r, d: durationMs(r, now) }));
  keyed.sort((a, b) => (a.d === null ? 1 : b.d === null ? -1 : sign * (a.d - b.d)));
  return keyed.map((k) => k.r);
}
