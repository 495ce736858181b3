import { type CreateRun, type MetricValue, type Params, type UpdateRun, fromMetricNumber } from "@cairn/core";
import { type MetricBatch, batchFromPoints } from "./batch.js";

/**
 * One write the SDK owes the server, in the order the user made it. Ops are what the
 * sender queues, what the spool stores (one JSON line each) and what `cairn sync`
 * replays. Every op is idempotent on the server, so replaying one is always safe.
 */
export type Op =
  | { type: "project"; name: string }
  | { type: "run"; project: string; body: CreateRun }
  | { type: "params"; params: Params }
  | { type: "update"; body: UpdateRun }
  | { type: "metrics"; batch: MetricBatch }
  /** A monitor's batch: the request body, encoded once when the batch was sealed (see monitoring/body-writer.ts). */
  | { type: "predictions" | "labels"; project: string; body: string; count: number };

/**
 * Metrics batches may be sent in parallel with each other (the server dedups on
 * (run, key, step), and order between points does not matter); every other op is a
 * barrier: it waits for everything before it and holds back everything after it.
 * That keeps project → run → … → finish ordered and tag updates in order.
 */
export const isBarrier = (op: Op): boolean => op.type !== "metrics" && op.type !== "predictions" && op.type !== "labels";

/** Points (or prediction and label rows) carried by an op (0 for a run's other ops). */
export const opPoints = (op: Op): number => (op.type === "metrics" ? op.batch.length : op.type === "predictions" || op.type === "labels" ? op.count : 0);

/** A short description for error reports. */
export function describeOp(op: Op): string {
  switch (op.type) {
    case "project":
      return `create project ${op.name}`;
    case "run":
      return "create run";
    case "params":
      return "log params";
    case "update":
      return op.body.status ? `set status ${op.body.status}` : "update run";
    case "metrics":
      return `log ${op.batch.length} metric points`;
    case "predictions":
    case "labels":
      return `log ${op.count} ${op.type}`;
  }
}

type SpoolPoint = [string, MetricValue, number, number];

/** Spool line format: metrics as compact rows `[key, value, step, timestamp]`, non-finite values as strings. */
export function encodeOp(op: Op): string {
  // The body is JSON already: embedded as it is (as `payload`), not escaped into a string.
  if (op.type === "predictions" || op.type === "labels") return `{"type":"${op.type}","project":${JSON.stringify(op.project)},"count":${op.count},"payload":${op.body}}`;
  if (op.type !== "metrics") return JSON.stringify(op);
  // Built as text (what JSON.stringify of the rows gives), without an array per point: every
  // sealed batch is journaled when a run has a spool. Each key is escaped once per batch.
  const b = op.batch;
  const keyJson = new Map<string, string>();
  const rows = new Array<string>(b.length);
  for (let i = 0; i < b.length; i++) {
    const key = b.keys[i]!;
    let k = keyJson.get(key);
    if (k === undefined) keyJson.set(key, (k = JSON.stringify(key)));
    const v = b.values[i]!;
    rows[i] = `[${k},${Number.isFinite(v) ? String(v) : JSON.stringify(fromMetricNumber(v))},${String(b.steps[i]!)},${String(b.timestamps[i]!)}]`;
  }
  return `{"type":"metrics","points":[${rows.join(",")}]}`;
}

const ROWS_LINE = /^\{"type":"(predictions|labels)","project":("(?:[^"\\]|\\.)*"),"count":(\d+),"payload":/;

/** Parses a spool line; throws on anything that is not an op this version wrote. */
export function decodeOp(line: string): Op {
  const rows = ROWS_LINE.exec(line);
  if (rows) {
    // Our own line: the body is cut out as text rather than parsed and re-serialised (the
    // cost of replaying a spool). A torn last line is caught by its missing end; anything
    // else malformed is refused by the server's validation and reported.
    if (!line.endsWith("]}}")) throw new SyntaxError("torn spool line");
    return { type: rows[1] as "predictions" | "labels", project: JSON.parse(rows[2]!) as string, count: Number(rows[3]), body: line.slice(rows[0].length, -1) };
  }
  const v = JSON.parse(line) as { type?: unknown; points?: unknown };
  switch (v.type) {
    case "metrics":
      if (!Array.isArray(v.points)) break;
      return { type: "metrics", batch: batchFromPoints(v.points as SpoolPoint[]) };
    case "project":
    case "run":
    case "params":
    case "update":
      return v as Op;
  }
  throw new SyntaxError(`not a spool op: ${line.slice(0, 80)}`);
}
