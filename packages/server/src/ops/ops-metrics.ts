import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * The server's Prometheus metrics. One registry per server (not prom-client's global one),
 * so two servers in one process — replicas in a test — each report only their own work.
 * Ingestion sites call these directly (`ctx.ops.predictionsIngested.inc(n)`).
 */
export class OpsMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: "cairn_http_requests_total",
    help: "HTTP requests by route pattern (never the raw URL), method and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: "cairn_http_request_duration_seconds",
    help: "HTTP request latency by route pattern and method",
    labelNames: ["method", "route"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  /** What an SDK sees as a refusal: 4xx answers by problem code. */
  readonly rejections = new Counter({
    name: "cairn_http_rejections_total",
    help: "4xx answers by status and problem code (what SDKs see as refusals)",
    labelNames: ["status", "code"] as const,
    registers: [this.registry],
  });

  readonly metricPointsIngested = new Counter({
    name: "cairn_metric_points_ingested_total",
    help: "Metric points written (duplicates of a retried batch excluded)",
    registers: [this.registry],
  });

  readonly predictionsIngested = new Counter({
    name: "cairn_predictions_ingested_total",
    help: "Predictions written (duplicates of a retried batch excluded)",
    registers: [this.registry],
  });

  readonly labelsIngested = new Counter({
    name: "cairn_labels_ingested_total",
    help: "Ground-truth labels accepted",
    registers: [this.registry],
  });

  readonly schedulerRuns = new Counter({
    name: "cairn_scheduler_runs_total",
    help: "Monitor scheduler ticks by outcome",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly schedulerDuration = new Histogram({
    name: "cairn_scheduler_run_duration_seconds",
    help: "Duration of one scheduler tick (claiming, evaluating, delivering)",
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly monitorEvaluations = new Counter({
    name: "cairn_monitor_evaluations_total",
    help: "Monitor evaluations on this replica by verdict (fired, ok, cooldown, not_enough_data, no_version, error)",
    labelNames: ["verdict"] as const,
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: "cairn_webhook_deliveries_total",
    help: "Webhook attempts by outcome (delivered, retry, failed, refused)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly webhookDuration = new Histogram({
    name: "cairn_webhook_delivery_duration_seconds",
    help: "Latency of webhook attempts that reached the receiver",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly databasePoolMax = new Gauge({
    name: "cairn_database_pool_max_connections",
    help: "Configured size of the PostgreSQL connection pool (1 for the embedded database); postgres.js exposes no live pool figures",
    labelNames: ["driver"] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "cairn_" });
  }
}
