/**
 * Prometheus metrics of one server (/metrics), in a registry of its own so several servers can
 * live in one process (tests). Names are `mtf_*`; process metrics come with the default set.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1];

export class ServeMetrics {
  readonly registry = new Registry();
  readonly requestSeconds = new Histogram({
    name: "mtf_http_request_duration_seconds",
    help: "HTTP request latency by route and status",
    labelNames: ["route", "status"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly rankSeconds = new Histogram({
    name: "mtf_rank_duration_seconds",
    help: "time to rank one request (parse excluded), by body shape",
    labelNames: ["shape"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly rankRequests = new Counter({
    name: "mtf_rank_requests_total",
    help: "served rank requests by exploration group, policy version and experiment arm",
    labelNames: ["group", "version", "arm"] as const,
    registers: [this.registry],
  });
  readonly candidates = new Histogram({
    name: "mtf_rank_candidates",
    help: "candidates per rank request",
    buckets: [10, 50, 100, 200, 500, 1000, 2000, 5000],
    registers: [this.registry],
  });
  readonly fallbackRequests = new Counter({
    name: "mtf_fallback_requests_total",
    help: "rank requests served with the fallback α",
    registers: [this.registry],
  });
  readonly servingFallback = new Gauge({
    name: "mtf_serving_fallback",
    help: "1 while no registry model is current and the fallback α is served",
    registers: [this.registry],
  });
  readonly modelInfo = new Gauge({
    name: "mtf_model_info",
    help: "the versions being served (value 1), by role",
    labelNames: ["role", "version"] as const,
    registers: [this.registry],
  });
  readonly reloads = new Counter({
    name: "mtf_model_reloads_total",
    help: "model loads after a registry pointer change, by role and result",
    labelNames: ["role", "result"] as const,
    registers: [this.registry],
  });
  readonly feedbackEvents = new Counter({
    name: "mtf_feedback_events_total",
    help: "feedback events by outcome (stored, duplicate)",
    labelNames: ["status"] as const,
    registers: [this.registry],
  });
  readonly feedbackLagSeconds = new Histogram({
    name: "mtf_feedback_lag_seconds",
    help: "receive time minus event time of feedback events",
    buckets: [0.1, 1, 5, 30, 60, 300, 1800, 3600, 86400],
    registers: [this.registry],
  });
  readonly historySkipped = new Counter({
    name: "mtf_feedback_history_skipped_total",
    help: "stored events not applied to the user's history, by reason (out_of_order, store_error)",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly unjoinedEvents = new Counter({
    name: "mtf_feedback_without_decision_total",
    help: "stored events whose served decision was no longer known",
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: "mtf_feedback_commit_duration_seconds",
    help: "write + fsync time of one group commit of the feedback log",
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });
  readonly commitRecords = new Histogram({
    name: "mtf_feedback_commit_records",
    help: "records per group commit of the feedback log",
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "mtf_process_" });
  }

  /** Records which versions serve now. */
  setModels(current: string, canary: string | null, fallback: boolean): void {
    this.modelInfo.reset();
    this.modelInfo.set({ role: "current", version: current }, 1);
    if (canary !== null) this.modelInfo.set({ role: "canary", version: canary }, 1);
    this.servingFallback.set(fallback ? 1 : 0);
  }
}
