import { z } from "zod";
import { Key, Uuid } from "./common.js";

export const MAX_POINTS_PER_REQUEST = 10_000;
/** Bytes per metrics request body; 10,000 points with 250-char keys fit comfortably. */
export const MAX_METRICS_BODY_BYTES = 4 * 1024 * 1024;
export const MAX_STEP = Number.MAX_SAFE_INTEGER;

/** JSON cannot carry non-finite numbers, so they travel as these strings. */
export const NonFinite = z.enum(["NaN", "Infinity", "-Infinity"]);
export const MetricValue = z.union([z.number(), NonFinite], { error: "must be a finite number or one of \"NaN\", \"Infinity\", \"-Infinity\"" });
export type MetricValue = z.infer<typeof MetricValue>;

export const MetricPoint = z
  .object({
    key: Key,
    value: MetricValue,
    step: z.number().int("must be an integer").min(0, "must be >= 0").max(MAX_STEP),
    /** Milliseconds since the epoch; the server's clock when omitted. */
    timestamp: z.number().int().min(0).max(8.64e15).optional(),
  })
  .strict()
  .meta({ id: "MetricPoint" });
export type MetricPoint = z.infer<typeof MetricPoint>;

export const LogMetricPoints = z
  .object({
    points: z
      .array(MetricPoint)
      .min(1, "must hold at least one point")
      .max(MAX_POINTS_PER_REQUEST, `must hold at most ${MAX_POINTS_PER_REQUEST} points`),
  })
  .strict()
  .meta({ id: "LogMetricPoints" });

/** One key's points in columns: the compact form the SDK sends (the key is written once). */
export const MetricSeriesColumns = z
  .object({
    key: Key,
    steps: z.array(z.number().int("must be an integer").min(0, "must be >= 0").max(MAX_STEP)).min(1, "must hold at least one step"),
    values: z.array(MetricValue),
    /** Milliseconds since the epoch, one per step; the server's clock when omitted. */
    timestamps: z.array(z.number().int().min(0).max(8.64e15)).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.values.length !== s.steps.length) ctx.addIssue({ code: "custom", path: ["values"], message: `must have as many entries as steps (${s.steps.length})` });
    if (s.timestamps && s.timestamps.length !== s.steps.length) ctx.addIssue({ code: "custom", path: ["timestamps"], message: `must have as many entries as steps (${s.steps.length})` });
  })
  .meta({ id: "MetricSeriesColumns" });
export type MetricSeriesColumns = z.infer<typeof MetricSeriesColumns>;

export const LogMetricSeries = z
  .object({ series: z.array(MetricSeriesColumns).min(1, "must hold at least one series") })
  .strict()
  .refine((b) => b.series.reduce((n, s) => n + s.steps.length, 0) <= MAX_POINTS_PER_REQUEST, {
    path: ["series"],
    message: `must hold at most ${MAX_POINTS_PER_REQUEST} points in all`,
  })
  .meta({ id: "LogMetricSeries" });

/**
 * A batch of at most 10,000 points, either as `points` (one object per point) or as
 * `series` (columns per key; same meaning, a fraction of the bytes and parse time).
 * Within a series `steps`, `values` and `timestamps` have equal lengths.
 */
export const LogMetrics = z.union([LogMetricPoints, LogMetricSeries]).meta({ id: "LogMetrics" });
export type LogMetrics = z.infer<typeof LogMetrics>;

export const LogMetricsResult = z
  .object({
    /** Points in the request. */
    accepted: z.number().int(),
    /** Points newly stored. */
    written: z.number().int(),
    /** Points already stored at the same (run, key, step): a retried batch. */
    duplicates: z.number().int(),
  })
  .meta({ id: "LogMetricsResult" });
export type LogMetricsResult = z.infer<typeof LogMetricsResult>;

/** Per-(run, key) summary kept up to date on every write; min/max ignore NaN. */
export const MetricSummary = z
  .object({
    key: z.string(),
    last: MetricValue,
    min: MetricValue.nullable(),
    max: MetricValue.nullable(),
    count: z.number().int(),
    lastStep: z.number().int(),
    lastTimestamp: z.number().int(),
  })
  .meta({ id: "MetricSummary" });
export type MetricSummary = z.infer<typeof MetricSummary>;

export const MetricSummaryList = z.object({ metrics: z.array(MetricSummary) }).meta({ id: "MetricSummaryList" });
export type MetricSummaryList = z.infer<typeof MetricSummaryList>;

export const MetricHistoryQuery = z.object({
  maxPoints: z.coerce.number().int().min(2).max(100_000).default(1000),
  fromStep: z.coerce.number().int().min(0).optional(),
  toStep: z.coerce.number().int().min(0).optional(),
});
export type MetricHistoryQuery = z.infer<typeof MetricHistoryQuery>;

/**
 * A metric's history in columns (compact and what uPlot draws). When the range holds
 * more than `maxPoints` points it is downsampled: each bucket keeps its minimum and
 * maximum points, so peaks and troughs survive.
 */
export const MetricHistory = z
  .object({
    runId: z.string(),
    key: z.string(),
    downsampled: z.boolean(),
    /** Points stored in the requested range. */
    total: z.number().int(),
    steps: z.array(z.number()),
    values: z.array(MetricValue),
    /** Milliseconds since the epoch. */
    timestamps: z.array(z.number()),
  })
  .meta({ id: "MetricHistory" });
export type MetricHistory = z.infer<typeof MetricHistory>;

/** Series per batch history read: a run page's or a comparison's charts in one or a few requests. */
export const MAX_HISTORIES_PER_REQUEST = 200;
/** Points a batch history read may answer in all (series × maxPoints): a response of tens of MB at most. */
export const MAX_HISTORY_POINTS_PER_REQUEST = 1_000_000;

/** One series of a batch history read: a run's key, optionally a step range (as the single-key query). */
export const MetricHistorySelector = z
  .object({
    runId: Uuid,
    key: Key,
    fromStep: z.number().int("must be an integer").min(0, "must be >= 0").optional(),
    toStep: z.number().int("must be an integer").min(0, "must be >= 0").optional(),
  })
  .strict()
  .meta({ id: "MetricHistorySelector" });
export type MetricHistorySelector = z.infer<typeof MetricHistorySelector>;

/**
 * Many histories in one read (what a page of charts needs): a POST only because the list
 * does not fit a URL; it changes nothing. Each series is downsampled to `maxPoints` as the
 * single-key endpoint does.
 */
export const MetricHistoriesQuery = z
  .object({
    series: z
      .array(MetricHistorySelector)
      .min(1, "must hold at least one series")
      .max(MAX_HISTORIES_PER_REQUEST, `must hold at most ${MAX_HISTORIES_PER_REQUEST} series`),
    maxPoints: z.number().int("must be an integer").min(2, "must be >= 2").max(100_000, "must be <= 100000").default(1000),
  })
  .strict()
  .refine((q) => q.series.length * q.maxPoints <= MAX_HISTORY_POINTS_PER_REQUEST, {
    path: ["maxPoints"],
    message: `times the number of series must be at most ${MAX_HISTORY_POINTS_PER_REQUEST}`,
  })
  .meta({ id: "MetricHistoriesQuery" });
export type MetricHistoriesQuery = z.input<typeof MetricHistoriesQuery>;

/** The histories in the order of the request's `series`. */
export const MetricHistoryList = z.object({ histories: z.array(MetricHistory) }).meta({ id: "MetricHistoryList" });
export type MetricHistoryList = z.infer<typeof MetricHistoryList>;

export function toMetricNumber(v: MetricValue): number {
  return typeof v === "number" ? v : v === "NaN" ? NaN : v === "Infinity" ? Infinity : -Infinity;
}

export function fromMetricNumber(n: number): MetricValue {
  if (Number.isFinite(n)) return n;
  return Number.isNaN(n) ? "NaN" : n > 0 ? "Infinity" : "-Infinity";
}
