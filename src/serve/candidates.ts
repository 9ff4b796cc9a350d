/**
 * Reads the candidates of a rank body into one [candidates x 12] Float64Array, in one pass and
 * without zod: at 500 candidates zod's parse costs more than the whole ranking. It accepts exactly
 * what `api-schemas.ts` describes (a property test holds the two together) and fails with the
 * codes of `request-errors.ts`. Score values are checked for type and finiteness here; the range
 * rule o + β > 0 is core's `validateScores`.
 */
import { MtfError } from "../core/errors.js";
import { N_TASKS, TASKS, taskIndex } from "../core/tasks.js";
import { MAX_ID_LENGTH } from "./api-schemas.js";
import { describeJson, type FieldPath, fieldError } from "./request-errors.js";

export interface Candidates {
  readonly count: number;
  readonly itemIds: readonly string[];
  /** [count x 12], task order. */
  readonly scores: Float64Array;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function expectRecord(value: unknown, path: FieldPath, what: string): Record<string, unknown> {
  if (isRecord(value)) return value;
  throw fieldError("WRONG_TYPE", path, `expected ${what}, got ${describeJson(value)}`);
}

function expectArray(value: unknown, path: FieldPath, what: string): readonly unknown[] {
  if (Array.isArray(value)) return value;
  throw fieldError("WRONG_TYPE", path, `expected ${what}, got ${describeJson(value)}`);
}

function readId(value: unknown, path: FieldPath): string {
  if (typeof value !== "string")
    throw fieldError("WRONG_TYPE", path, `expected a string, got ${describeJson(value)}`);
  if (value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw fieldError("INVALID_VALUE", path, `must be 1 to ${MAX_ID_LENGTH} characters long`);
  }
  return value;
}

function readScore(value: unknown, path: FieldPath): number {
  if (typeof value !== "number")
    throw fieldError("WRONG_TYPE", path, `expected a number, got ${describeJson(value)}`);
  if (!Number.isFinite(value)) throw fieldError("NON_FINITE_SCORE", path, `${value} is not a finite number`);
  return value;
}

function checkCount(list: readonly unknown[], path: FieldPath, max: number): void {
  if (list.length === 0) throw fieldError("INVALID_VALUE", path, "needs at least one candidate");
  if (list.length > max) {
    throw new MtfError(
      "TOO_MANY_CANDIDATES",
      `${String(path[0])}: ${list.length} candidates, at most ${max} allowed`,
      {
        details: { path: String(path[0]), count: list.length, max },
      },
    );
  }
}

function checkDistinct(itemIds: readonly string[], field: string): void {
  const seen = new Set<string>();
  for (let c = 0; c < itemIds.length; c++) {
    const itemId = itemIds[c];
    if (seen.has(itemId)) {
      throw new MtfError("DUPLICATE_ITEM", `${field}[${c}]: item "${itemId}" appears twice`, {
        details: { path: `${field}[${c}]`, itemId },
      });
    }
    seen.add(itemId);
  }
}

/** Checks that a per-task record has no key that is not a task. */
function checkTaskKeys(record: Record<string, unknown>, path: FieldPath): void {
  for (const key of Object.keys(record)) {
    if (taskIndex(key) === -1)
      throw fieldError("UNKNOWN_TASK", [...path, key], `"${key}" is not a task of this record`);
  }
}

function taskValue(
  record: Record<string, unknown>,
  task: string,
  path: FieldPath,
  expected: string,
): unknown {
  if (!Object.hasOwn(record, task))
    throw fieldError("MISSING_FIELD", [...path, task], `missing, expected ${expected}`);
  return record[task];
}

/** `candidates: [{ itemId, scores: { click: …, … } }]`. */
export function readObjectCandidates(value: unknown, maxCandidates: number): Candidates {
  const list = expectArray(value, ["candidates"], "an array of candidates");
  checkCount(list, ["candidates"], maxCandidates);
  const count = list.length;
  const itemIds: string[] = new Array(count);
  const scores = new Float64Array(count * N_TASKS);
  for (let c = 0; c < count; c++) {
    const candidate = expectRecord(list[c], ["candidates", c], "a candidate object");
    for (const key of Object.keys(candidate)) {
      if (key !== "itemId" && key !== "scores")
        throw fieldError("UNKNOWN_FIELD", ["candidates", c, key], "unknown field");
    }
    if (!Object.hasOwn(candidate, "itemId"))
      throw fieldError("MISSING_FIELD", ["candidates", c, "itemId"], "missing");
    itemIds[c] = readId(candidate.itemId, ["candidates", c, "itemId"]);
    if (!Object.hasOwn(candidate, "scores"))
      throw fieldError("MISSING_FIELD", ["candidates", c, "scores"], "missing");
    const path = ["candidates", c, "scores"];
    const record = expectRecord(candidate.scores, path, "an object of per-task scores");
    checkTaskKeys(record, path);
    for (let t = 0; t < N_TASKS; t++) {
      const task = TASKS[t];
      scores[c * N_TASKS + t] = readScore(taskValue(record, task, path, "a number"), [...path, task]);
    }
  }
  checkDistinct(itemIds, "candidates");
  return { count, itemIds, scores };
}

/** `itemIds: [...]` with `scores: { click: [...], … }` or `scores: [[12 values], …]`. */
export function readColumnarCandidates(
  itemIdsValue: unknown,
  scoresValue: unknown,
  maxCandidates: number,
): Candidates {
  const list = expectArray(itemIdsValue, ["itemIds"], "an array of item ids");
  checkCount(list, ["itemIds"], maxCandidates);
  const count = list.length;
  const itemIds: string[] = new Array(count);
  for (let c = 0; c < count; c++) itemIds[c] = readId(list[c], ["itemIds", c]);
  const scores = new Float64Array(count * N_TASKS);
  if (Array.isArray(scoresValue)) {
    if (scoresValue.length !== count) {
      throw fieldError(
        "SHAPE_MISMATCH",
        ["scores"],
        `has ${scoresValue.length} rows, itemIds has ${count} items`,
      );
    }
    for (let c = 0; c < count; c++) {
      const row = expectArray(scoresValue[c], ["scores", c], `an array of ${N_TASKS} scores in task order`);
      if (row.length !== N_TASKS) {
        throw fieldError(
          "SHAPE_MISMATCH",
          ["scores", c],
          `has ${row.length} values, need ${N_TASKS} (${TASKS.join(", ")})`,
        );
      }
      for (let t = 0; t < N_TASKS; t++) scores[c * N_TASKS + t] = readScore(row[t], ["scores", c, t]);
    }
  } else {
    const record = expectRecord(scoresValue, ["scores"], "per-task arrays or a [candidates x 12] array");
    checkTaskKeys(record, ["scores"]);
    for (let t = 0; t < N_TASKS; t++) {
      const task = TASKS[t];
      const column = expectArray(
        taskValue(record, task, ["scores"], "an array of scores"),
        ["scores", task],
        "an array of scores",
      );
      if (column.length !== count) {
        throw fieldError(
          "SHAPE_MISMATCH",
          ["scores", task],
          `has ${column.length} values, itemIds has ${count} items`,
        );
      }
      for (let c = 0; c < count; c++) scores[c * N_TASKS + t] = readScore(column[c], ["scores", task, c]);
    }
  }
  checkDistinct(itemIds, "itemIds");
  return { count, itemIds, scores };
}
