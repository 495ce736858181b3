import type { MetricHistory, MetricHistoryList } from "@cairn/core";
import { ApiError, api, seg } from "./client.js";

/** One series to read: a run's key, optionally a step range. */
export interface HistoryRequest {
  runId: string;
  key: string;
  fromStep?: number | undefined;
  toStep?: number | undefined;
}

/** The server's limit per batch (MAX_HISTORIES_PER_REQUEST; core is imported for types only in the UI). */
const BATCH_SIZE = 200;
/**
 * How long reads are collected before they go out: a page's charts ask for their points as
 * they mount, within a few milliseconds of one another, and share one request this way.
 */
const COLLECT_MS = 5;

interface Pending {
  req: HistoryRequest;
  resolve: (h: MetricHistory) => void;
  reject: (e: unknown) => void;
}

const queues = new Map<number, Pending[]>();
let scheduled = false;

/**
 * A metric history, read together with the others asked for at the same moment: every
 * chart keeps its own query (and cache entry), and a page of 50 charts still makes one
 * request (`POST /metrics/histories`, up to 200 series each) instead of 50.
 */
export function loadHistory(req: HistoryRequest, maxPoints: number): Promise<MetricHistory> {
  return new Promise((resolve, reject) => {
    let queue = queues.get(maxPoints);
    if (!queue) queues.set(maxPoints, (queue = []));
    queue.push({ req, resolve, reject });
    if (!scheduled) {
      scheduled = true;
      setTimeout(flush, COLLECT_MS);
    }
  });
}

function flush(): void {
  scheduled = false;
  const all = [...queues];
  queues.clear();
  for (const [maxPoints, list] of all) {
    for (let i = 0; i < list.length; i += BATCH_SIZE) void send(list.slice(i, i + BATCH_SIZE), maxPoints);
  }
}

const single = (r: HistoryRequest, maxPoints: number) =>
  api.get<MetricHistory>(`/runs/${seg(r.runId)}/metrics/${seg(r.key)}`, { maxPoints, fromStep: r.fromStep, toStep: r.toStep });

async function send(list: Pending[], maxPoints: number): Promise<void> {
  let histories: MetricHistory[];
  try {
    const body = await api.post<MetricHistoryList>("/metrics/histories", { series: list.map((p) => p.req), maxPoints });
    histories = body.histories;
  } catch (e) {
    // One missing key (or run) fails the whole batch: each series is read on its own then,
    // so only the chart it belongs to shows the error (and an older server without the
    // batch route still works).
    if (e instanceof ApiError && (e.status === 400 || e.status === 404 || e.status === 405)) {
      for (const p of list) single(p.req, maxPoints).then(p.resolve, p.reject);
      return;
    }
    for (const p of list) p.reject(e);
    return;
  }
  list.forEach((p, i) => {
    const h = histories[i];
    if (h) p.resolve(h);
    else p.reject(new Error(`the server answered ${histories.length} of ${list.length} histories`));
  });
}
