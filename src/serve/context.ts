/** What the request handlers share: resolved settings and the server's stateful parts. */
import type { AlphaBounds } from "../core/action.js";
import type { ExperimentArm } from "./assignment.js";
import type { FeedbackRecord } from "./feedback-records.js";
import type { ServeMetrics } from "./metrics.js";
import type { ServingModels } from "./model-watcher.js";
import type { StateStore } from "./state-store.js";
import type { SessionRules } from "./user-session.js";

/** The part of the feedback log the handlers use. */
export interface FeedbackSink {
  append(records: readonly FeedbackRecord[]): Promise<void>;
  appendLater(record: FeedbackRecord): void;
}

export interface ServeContext {
  /** Root seed: each decision's seed is derived from it and the request id. */
  readonly seed: number;
  /** β of Eq. 1, task order. */
  readonly beta: Float64Array;
  readonly bounds: AlphaBounds;
  readonly rules: SessionRules;
  readonly maxCandidates: number;
  readonly maxFeedbackEvents: number;
  readonly canarySalt: string;
  readonly experimentSalt: string;
  readonly arms: readonly ExperimentArm[];
  readonly store: StateStore;
  readonly feedback: FeedbackSink;
  /** The models to serve now (an immutable snapshot). */
  readonly models: () => ServingModels;
  readonly metrics: ServeMetrics;
  readonly now: () => number;
}
