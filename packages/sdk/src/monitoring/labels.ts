import { type LabelIn, LogLabelsResult, MAX_PREDICTIONS_PER_BATCH } from "@cairn/core";
import { withRetry } from "../artifacts/retry.js";
import { CairnError } from "../client/errors.js";
import { type Transport, seg } from "../client/http.js";
import { encodeBodies, labelProblem } from "./rows.js";

export interface LogLabelsOptions {
  /** Default: the client's project, else `CAIRN_PROJECT`. */
  project?: string;
  /** How long a failing request is retried (network errors, 5xx, 429), in ms. Default 60,000. */
  retryWindowMs?: number;
}

/**
 * `client.labels`: ground truth that arrives later (minutes to weeks), joined to predictions
 * by id. Unlike `monitor.logLabel()` (fire and forget), `log()` is awaited and throws, for
 * jobs that load labels in bulk; labels are sent in requests of up to 10,000 (and 1 MB),
 * each retried safely (a label is stored once per prediction).
 */
export class LabelsApi {
  constructor(
    private readonly transport: Transport,
    private readonly defaultProject: string | undefined,
  ) {}

  /** Sends every label; resolves with the totals (`pending`: labels whose prediction the server has not received yet). */
  async log(labels: LabelIn[], opts: LogLabelsOptions = {}): Promise<LogLabelsResult> {
    const project = opts.project ?? this.defaultProject;
    if (project === undefined) throw new CairnError("labels.log: pass `project` (or create the client with `project`, or set CAIRN_PROJECT)");
    if (!Array.isArray(labels)) throw new CairnError("labels.log: pass an array of { predictionId, label, timestamp? }");
    const rows = labels.map((l, i) => {
      const copy: LabelIn = l.timestamp === undefined ? { predictionId: l.predictionId, label: l.label } : { predictionId: l.predictionId, label: l.label, timestamp: l.timestamp };
      const why = labelProblem(copy);
      if (why) throw new CairnError(`labels.log: labels[${i}]: ${why}`);
      return copy;
    });
    const total: LogLabelsResult = { accepted: 0, pending: 0 };
    const path = `/api/v1/projects/${seg(project)}/labels`;
    for (let i = 0; i < rows.length; i += MAX_PREDICTIONS_PER_BATCH) {
      const { bodies } = encodeBodies("labels", rows.slice(i, i + MAX_PREDICTIONS_PER_BATCH));
      for (const { body } of bodies) {
        const r = await withRetry(() => this.transport.call("POST", path, LogLabelsResult, { body }), opts.retryWindowMs !== undefined ? { retryWindowMs: opts.retryWindowMs } : {});
        total.accepted += r.accepted;
        total.pending += r.pending;
      }
    }
    return total;
  }
}
