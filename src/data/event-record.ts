/**
 * The events table's columns as values: `PlayEvent` ↔ one value per `EVENT_COLUMNS` entry, and
 * the value rules every stored row obeys (the log store's CHECK constraints and the importers'
 * row validation both come from `COLUMN_RULES`, so they cannot drift apart).
 */
import { MtfError } from "../core/errors.js";
import {
  type ColumnSpec,
  EVENT_COLUMNS,
  EXPLORATION_GROUPS,
  type ExplorationGroup,
  OUTCOME_TASKS,
  type PlayEvent,
} from "../core/events.js";
import { TASKS } from "../core/tasks.js";

/** A cell of the events table: VARCHAR → string, numeric types → number, NULL → null. */
export type CellValue = string | number | null;

/** Why a row was refused; importers count skipped rows per reason. */
export const BAD_ROW_REASONS = [
  "column_count",
  "bad_json",
  "unknown_column",
  "wrong_type",
  "missing_value",
  "not_a_number",
  "not_an_integer",
  "negative",
  "out_of_range",
  "bad_exploration_group",
  "partial_vector",
] as const;
export type BadRowReason = (typeof BAD_ROW_REASONS)[number];

/** A refused cell: which column and why, with a message a user can act on. */
export interface CellProblem {
  readonly column: string;
  readonly reason: BadRowReason;
  readonly message: string;
}

/** Bounds of a numeric column; `integer` for BIGINT/INTEGER/TINYINT. */
export interface NumericRule {
  readonly integer: boolean;
  readonly min?: number;
  readonly max?: number;
}

const VECTOR_PREFIXES = ["score", "alpha", "action"] as const;
type VectorPrefix = (typeof VECTOR_PREFIXES)[number];

const INT32_MAX = 2_147_483_647;

function numericRule(column: ColumnSpec): NumericRule | null {
  if (column.type === "VARCHAR") return null;
  const integer = column.type !== "DOUBLE";
  const name = column.name;
  if (column.type === "INTEGER") {
    return { integer, min: name === "candidate_count" ? 1 : 0, max: INT32_MAX };
  }
  if (name.startsWith("score_")) {
    // play_time is predicted in seconds; every other task is a probability.
    return name === "score_play_time" ? { integer, min: 0 } : { integer, min: 0, max: 1 };
  }
  if (name.startsWith("action_")) return { integer, min: -1, max: 1 };
  if (name.startsWith("outcome_")) return { integer, min: 0, max: 1 };
  switch (name) {
    case "ts_ms":
    case "duration_ms":
    case "play_time_ms":
    case "noise_scale":
    // A density of a continuous action: non-negative, but it may exceed 1.
    case "propensity":
      return { integer, min: 0 };
    default:
      return { integer };
  }
}

/** Numeric bounds per column name (absent for VARCHAR columns). */
export const COLUMN_RULES: ReadonlyMap<string, NumericRule> = new Map(
  EVENT_COLUMNS.flatMap((c) => {
    const rule = numericRule(c);
    return rule === null ? [] : [[c.name, rule] as const];
  }),
);

const COLUMN_INDEX: ReadonlyMap<string, number> = new Map(EVENT_COLUMNS.map((c, i) => [c.name, i]));

export function eventColumnIndex(name: string): number {
  return COLUMN_INDEX.get(name) ?? -1;
}

/** Checks one typed cell against its column's nullability and rules. */
export function checkCell(column: ColumnSpec, value: CellValue): CellProblem | null {
  const name = column.name;
  if (value === null || value === "") {
    if (column.nullable) return null;
    return { column: name, reason: "missing_value", message: `${name} is required` };
  }
  if (column.type === "VARCHAR") {
    if (typeof value !== "string") {
      return { column: name, reason: "wrong_type", message: `${name} must be a string, got ${value}` };
    }
    if (name === "exploration_group" && !(EXPLORATION_GROUPS as readonly string[]).includes(value)) {
      return {
        column: name,
        reason: "bad_exploration_group",
        message: `${name} must be one of ${EXPLORATION_GROUPS.join(", ")}, got "${value}"`,
      };
    }
    return null;
  }
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return {
      column: name,
      reason: "not_a_number",
      message: `${name} must be a finite number, got "${value}"`,
    };
  }
  const rule = COLUMN_RULES.get(name) ?? { integer: false };
  if (rule.integer && !Number.isSafeInteger(value)) {
    return { column: name, reason: "not_an_integer", message: `${name} must be an integer, got ${value}` };
  }
  if (rule.min === 0 && value < 0) {
    return { column: name, reason: "negative", message: `${name} cannot be negative, got ${value}` };
  }
  if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) {
    const range = `[${rule.min ?? "-inf"}, ${rule.max ?? "inf"}]`;
    return { column: name, reason: "out_of_range", message: `${name} must lie in ${range}, got ${value}` };
  }
  return null;
}

/** Column names of one per-task vector (`score_click`, `score_long_view`, …). */
export function vectorColumns(prefix: VectorPrefix): readonly string[] {
  return TASKS.map((t) => `${prefix}_${t}`);
}

const VECTOR_INDICES: readonly (readonly [VectorPrefix, readonly number[]])[] = VECTOR_PREFIXES.map((p) => [
  p,
  vectorColumns(p).map(eventColumnIndex),
]);

const NULLABLE: readonly boolean[] = EVENT_COLUMNS.map((c) => c.nullable);
const IS_TEXT: readonly boolean[] = EVENT_COLUMNS.map((c) => c.type === "VARCHAR");
const INTEGER: readonly boolean[] = EVENT_COLUMNS.map((c) => COLUMN_RULES.get(c.name)?.integer ?? false);
const LOWER: readonly number[] = EVENT_COLUMNS.map((c) => COLUMN_RULES.get(c.name)?.min ?? -Number.MAX_VALUE);
const UPPER: readonly number[] = EVENT_COLUMNS.map((c) => COLUMN_RULES.get(c.name)?.max ?? Number.MAX_VALUE);
const EXPLORATION_GROUP_INDEX = EVENT_COLUMNS.findIndex((c) => c.name === "exploration_group");

/**
 * Checks a whole row in column order: every cell, then that each task vector is all-or-nothing.
 * Valid cells take an inline fast path; `checkCell` explains the first invalid one.
 */
export function checkRow(values: readonly CellValue[]): CellProblem | null {
  for (let i = 0; i < EVENT_COLUMNS.length; i++) {
    const v = values[i];
    if (
      v === null
        ? NULLABLE[i]
        : IS_TEXT[i]
          ? typeof v === "string" && v !== "" && i !== EXPLORATION_GROUP_INDEX
          : typeof v === "number" &&
            v >= LOWER[i] &&
            v <= UPPER[i] &&
            (!INTEGER[i] || Number.isSafeInteger(v))
    ) {
      continue;
    }
    const problem = checkCell(EVENT_COLUMNS[i], v);
    if (problem !== null) return problem;
  }
  for (const [prefix, indices] of VECTOR_INDICES) {
    let present = 0;
    for (const i of indices) if (values[i] !== null) present++;
    if (present !== 0 && present !== indices.length) {
      const missing = indices.find((i) => values[i] === null) ?? indices[0];
      return {
        column: EVENT_COLUMNS[missing].name,
        reason: "partial_vector",
        message: `${prefix}_* must hold all ${indices.length} tasks or none; ${EVENT_COLUMNS[missing].name} is missing`,
      };
    }
  }
  return null;
}

const VECTOR_FIELD: Readonly<Record<VectorPrefix, "scores" | "alpha" | "action">> = {
  score: "scores",
  alpha: "alpha",
  action: "action",
};

/**
 * The columns in the order `eventToValues` writes them. Checked against EVENT_COLUMNS when this
 * module loads, so a schema change that `eventToValues` does not follow fails at once.
 */
const WRITTEN_ORDER: readonly string[] = [
  "event_id",
  "user_id",
  "item_id",
  "request_id",
  "session_id",
  "ts_ms",
  "candidate_set_id",
  "candidate_count",
  "position",
  ...vectorColumns("score"),
  ...vectorColumns("alpha"),
  ...vectorColumns("action"),
  "policy_version",
  "exploration_group",
  "noise_scale",
  "propensity",
  "decision_seed",
  "experiment_arm",
  "duration_ms",
  "play_time_ms",
  ...OUTCOME_TASKS.map((t) => `outcome_${t}`),
];
if (WRITTEN_ORDER.join() !== EVENT_COLUMNS.map((c) => c.name).join()) {
  throw new MtfError(
    "INTERNAL",
    "eventToValues no longer follows EVENT_COLUMNS; update WRITTEN_ORDER and it",
  );
}

function putVector(out: CellValue[], at: number, vector: readonly number[] | null): number {
  for (let i = 0; i < TASKS.length; i++) out[at + i] = vector === null ? null : (vector[i] ?? null);
  return at + TASKS.length;
}

/** The row of an event, in `EVENT_COLUMNS` order (hand-written: it is on the ingest hot path). */
export function eventToValues(e: PlayEvent): CellValue[] {
  return eventValuesInto(e, new Array<CellValue>(EVENT_COLUMNS.length));
}

/** Writes the row of an event into `out` (reused by bulk writers) and returns it. */
export function eventValuesInto(e: PlayEvent, out: CellValue[]): CellValue[] {
  out[0] = e.eventId;
  out[1] = e.userId;
  out[2] = e.itemId;
  out[3] = e.requestId;
  out[4] = e.sessionId;
  out[5] = e.timestampMs;
  out[6] = e.candidateSetId;
  out[7] = e.candidateCount;
  out[8] = e.position;
  let at = putVector(out, 9, e.scores);
  at = putVector(out, at, e.alpha);
  at = putVector(out, at, e.action);
  out[at++] = e.policyVersion;
  out[at++] = e.explorationGroup;
  out[at++] = e.noiseScale;
  out[at++] = e.propensity;
  out[at++] = e.decisionSeed;
  out[at++] = e.experimentArm;
  out[at++] = e.durationMs;
  out[at++] = e.playTimeMs;
  for (const task of OUTCOME_TASKS) out[at++] = e.outcomes[task] ?? null;
  return out;
}

/** An event's row, or why it cannot be stored. */
export type EventRow = { readonly values: CellValue[] } | { readonly problem: CellProblem };

/** Converts and checks an event as it would be stored. */
export function eventRow(event: PlayEvent): EventRow {
  for (const prefix of VECTOR_PREFIXES) {
    const vector = event[VECTOR_FIELD[prefix]];
    if (vector !== null && vector.length !== TASKS.length) {
      return { problem: vectorLengthProblem(prefix, vector.length) };
    }
  }
  const values = eventToValues(event);
  const problem = checkRow(values);
  return problem === null ? { values } : { problem };
}

/**
 * `eventRow` into a reused array: fills `out` with the event's row and returns why it cannot be
 * stored, or null.
 */
export function eventRowInto(event: PlayEvent, out: CellValue[]): CellProblem | null {
  for (const prefix of VECTOR_PREFIXES) {
    const vector = event[VECTOR_FIELD[prefix]];
    if (vector !== null && vector.length !== TASKS.length) return vectorLengthProblem(prefix, vector.length);
  }
  return checkRow(eventValuesInto(event, out));
}

function vectorLengthProblem(prefix: VectorPrefix, length: number): CellProblem {
  return {
    column: `${prefix}_*`,
    reason: "partial_vector",
    message: `${VECTOR_FIELD[prefix]} must hold ${TASKS.length} values (task order), got ${length}`,
  };
}

/**
 * Builds an event from a row in column order. The row must have passed `checkRow`, so types
 * are right and each vector is all-or-nothing.
 */
export function eventFromValues(values: readonly CellValue[]): PlayEvent {
  const str = (name: string): string => values[COLUMN_INDEX.get(name) ?? -1] as string;
  const strOrNull = (name: string): string | null =>
    nullIfEmpty(values[COLUMN_INDEX.get(name) ?? -1]) as string | null;
  const num = (name: string): number => values[COLUMN_INDEX.get(name) ?? -1] as number;
  const numOrNull = (name: string): number | null =>
    nullIfEmpty(values[COLUMN_INDEX.get(name) ?? -1]) as number | null;
  const vector = (prefix: VectorPrefix): number[] | null => {
    const cells = vectorColumns(prefix).map((c) => values[COLUMN_INDEX.get(c) ?? -1]);
    return cells[0] === null ? null : (cells as number[]);
  };
  const outcomes = Object.fromEntries(OUTCOME_TASKS.map((t) => [t, numOrNull(`outcome_${t}`)])) as Record<
    (typeof OUTCOME_TASKS)[number],
    number | null
  >;
  return {
    eventId: str("event_id"),
    userId: str("user_id"),
    itemId: str("item_id"),
    requestId: str("request_id"),
    sessionId: strOrNull("session_id"),
    timestampMs: num("ts_ms"),
    candidateSetId: strOrNull("candidate_set_id"),
    candidateCount: numOrNull("candidate_count"),
    position: numOrNull("position"),
    scores: vector("score"),
    alpha: vector("alpha"),
    action: vector("action"),
    policyVersion: strOrNull("policy_version"),
    explorationGroup: strOrNull("exploration_group") as ExplorationGroup | null,
    noiseScale: numOrNull("noise_scale"),
    propensity: numOrNull("propensity"),
    decisionSeed: numOrNull("decision_seed"),
    experimentArm: strOrNull("experiment_arm"),
    durationMs: numOrNull("duration_ms"),
    playTimeMs: num("play_time_ms"),
    outcomes,
  };
}

function nullIfEmpty(value: CellValue | undefined): CellValue {
  return value === undefined || value === "" ? null : value;
}
