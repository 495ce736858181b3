import type { MonitoringWindowSize } from "@cairn/core";
import { ValidationError } from "../http/errors.js";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** A longer range is refused: 400 days of hourly windows is already 9,600 windows. */
export const MAX_RANGE_DAYS = 400;

export const windowMs = (w: MonitoringWindowSize) => (w === "1d" ? DAY_MS : HOUR_MS);

/** An RFC 3339 date-time (or epoch milliseconds as digits); a 400 naming `query.<field>` otherwise. */
export function parseInstant(value: string, field: string): number {
  const ms = /^\d{1,15}$/.test(value) ? Number(value) : /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) throw new ValidationError(`invalid ${field}: not a date-time`, [{ path: `query.${field}`, message: "must be an RFC 3339 date-time (e.g. 2026-01-31T00:00:00Z) or epoch milliseconds" }]);
  return ms;
}

export interface ReportRange {
  /** Aligned to the window size (UTC): the first window's start. */
  from: number;
  /** Aligned up: the last window's end. */
  to: number;
  size: number;
  /** Every window start in [from, to), so a window without data still appears (count 0). */
  starts: number[];
}

/**
 * The windows of a report: `to` defaults to now, `from` to 24 h (or 30 days for 1d windows)
 * before `to`; both are widened to whole UTC windows.
 */
export function reportRange(query: { from?: string | undefined; to?: string | undefined; window: MonitoringWindowSize }, now = Date.now()): ReportRange {
  const size = windowMs(query.window);
  const toRaw = query.to !== undefined ? parseInstant(query.to, "to") : now;
  const fromRaw = query.from !== undefined ? parseInstant(query.from, "from") : toRaw - (query.window === "1d" ? 30 * DAY_MS : DAY_MS);
  if (fromRaw >= toRaw) throw new ValidationError("from must be before to", [{ path: "query.from", message: "must be before `to`" }]);
  if (toRaw - fromRaw > MAX_RANGE_DAYS * DAY_MS) throw new ValidationError(`the range is longer than ${MAX_RANGE_DAYS} days`, [{ path: "query.from", message: `must be at most ${MAX_RANGE_DAYS} days before \`to\`` }]);
  const from = Math.floor(fromRaw / size) * size;
  const to = Math.ceil(toRaw / size) * size;
  const starts: number[] = [];
  for (let t = from; t < to; t += size) starts.push(t);
  return { from, to, size, starts };
}
