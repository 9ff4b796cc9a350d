/**
 * The event record: one row per play, the schema every log (simulated, served, imported)
 * uses. `core` owns it; the log store's DDL, the importers and the feedback sink derive their
 * columns from `EVENT_COLUMNS`, so the schema has one home.
 *
 * Real logs that carry α and predicted scores can be trained on and evaluated; logs without
 * them (KuaiRand) serve calibration, reward fitting and the pipeline's mechanics only.
 */
import { TASKS, type TaskName } from "./tasks.js";

/** How the action of a play was chosen (Sec. 3.3 of the paper). */
export const EXPLORATION_GROUPS = ["target", "random", "action_noise", "none"] as const;
export type ExplorationGroup = (typeof EXPLORATION_GROUPS)[number];

/** Observed outcome of each task for the played item; `play_time` in seconds. */
export type TaskOutcomes = Readonly<Record<TaskName, number | null>>;

export interface PlayEvent {
  /** Unique per event; ingestion is idempotent on it. */
  readonly eventId: string;
  readonly userId: string;
  readonly itemId: string;
  readonly requestId: string;
  /** Session id when the log carries one; null → sessions are cut at inactivity gaps. */
  readonly sessionId: string | null;
  /** Unix epoch milliseconds (UTC). */
  readonly timestampMs: number;

  // --- the decision that produced the play ---
  readonly candidateSetId: string | null;
  readonly candidateCount: number | null;
  /** Rank of the played item in the served list (0 = top). */
  readonly position: number | null;
  /** The 12 MTL predicted scores o of the played item, task order; null when not logged. */
  readonly scores: readonly number[] | null;
  /** The raw fusion weights α (Eq. 1), task order; null when not logged. */
  readonly alpha: readonly number[] | null;
  /** α mapped into the normalised action space [-1, 1]^12. */
  readonly action: readonly number[] | null;
  readonly policyVersion: string | null;
  readonly explorationGroup: ExplorationGroup | null;
  /** σ of the Gaussian that perturbed the action (random / action-noise exploration). */
  readonly noiseScale: number | null;
  /** Probability (density) of the logged action under the logging policy, when known. */
  readonly propensity: number | null;
  /** Seed of the latent draws of a stochastic decision, so it can be replayed. */
  readonly decisionSeed: number | null;
  readonly experimentArm: string | null;

  // --- observed feedback ---
  /** Video duration; null or 0 means unknown (finish and integrity are then unknown). */
  readonly durationMs: number | null;
  readonly playTimeMs: number;
  /**
   * 0/1 outcomes of the probability tasks (`play_time` is derived from `playTimeMs`). `finish`
   * is null when the duration is unknown; `exit` is null when it is to be derived from the
   * session (the last play of a session is the exit).
   */
  readonly outcomes: Readonly<Record<Exclude<TaskName, "play_time">, number | null>>;
}

export type ColumnType = "VARCHAR" | "BIGINT" | "INTEGER" | "DOUBLE" | "TINYINT";

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
  readonly doc: string;
}

const perTask = (prefix: string, type: ColumnType, doc: string, nullable = true): ColumnSpec[] =>
  TASKS.map((task) => ({ name: `${prefix}_${task}`, type, nullable, doc: `${doc} (${task})` }));

const OUTCOME_TASKS = TASKS.filter((t): t is Exclude<TaskName, "play_time"> => t !== "play_time");

/** Columns of the `events` table, in order. Outcomes of `play_time` come from `play_time_ms`. */
export const EVENT_COLUMNS: readonly ColumnSpec[] = [
  { name: "event_id", type: "VARCHAR", nullable: false, doc: "unique event id (idempotency key)" },
  { name: "user_id", type: "VARCHAR", nullable: false, doc: "user id" },
  { name: "item_id", type: "VARCHAR", nullable: false, doc: "video id" },
  { name: "request_id", type: "VARCHAR", nullable: false, doc: "ranking request id" },
  { name: "session_id", type: "VARCHAR", nullable: true, doc: "session id; null = cut at inactivity gaps" },
  { name: "ts_ms", type: "BIGINT", nullable: false, doc: "event time, Unix epoch milliseconds (UTC)" },
  { name: "candidate_set_id", type: "VARCHAR", nullable: true, doc: "candidate set id" },
  { name: "candidate_count", type: "INTEGER", nullable: true, doc: "number of candidates ranked" },
  { name: "position", type: "INTEGER", nullable: true, doc: "rank of the played item (0 = top)" },
  ...perTask("score", "DOUBLE", "MTL predicted score o_i"),
  ...perTask("alpha", "DOUBLE", "fusion weight α_i (Eq. 1)"),
  ...perTask("action", "DOUBLE", "normalised action in [-1, 1]"),
  { name: "policy_version", type: "VARCHAR", nullable: true, doc: "policy version that chose α" },
  { name: "exploration_group", type: "VARCHAR", nullable: true, doc: EXPLORATION_GROUPS.join(" | ") },
  { name: "noise_scale", type: "DOUBLE", nullable: true, doc: "σ of the exploration noise" },
  {
    name: "propensity",
    type: "DOUBLE",
    nullable: true,
    doc: "density of the action under the logging policy",
  },
  { name: "decision_seed", type: "BIGINT", nullable: true, doc: "seed of the decision's latent draws" },
  { name: "experiment_arm", type: "VARCHAR", nullable: true, doc: "A/B arm" },
  { name: "duration_ms", type: "BIGINT", nullable: true, doc: "video duration; 0 or null = unknown" },
  { name: "play_time_ms", type: "BIGINT", nullable: false, doc: "play time" },
  ...OUTCOME_TASKS.map(
    (task): ColumnSpec => ({
      name: `outcome_${task}`,
      type: "TINYINT",
      nullable: true,
      doc: `observed ${task} (0/1)${task === "finish" ? "; null when duration unknown" : task === "exit" ? "; null = derive from session end" : ""}`,
    }),
  ),
];

export { OUTCOME_TASKS };
