/**
 * Request validation failures as coded errors: zod issues (envelopes and feedback bodies go
 * through `safeParse`) and the hand-written candidate readers share these codes, so each class
 * of bad input has exactly one code whichever path found it:
 *
 *   MISSING_FIELD      a required field is absent
 *   UNKNOWN_FIELD      a field the API does not define
 *   UNKNOWN_TASK       a key of a per-task record (`scores`, `outcomes`) that is not a task
 *   WRONG_TYPE         a value of the wrong JSON type
 *   NON_FINITE_SCORE   a score that parses to ±Infinity (e.g. 1e999)
 *   TOO_MANY_CANDIDATES / TOO_MANY_EVENTS   a list longer than the configured limit
 *   INVALID_VALUE      a value of the right type outside its allowed range or format
 */
import type { z } from "zod";
import { type ErrorCode, MtfError } from "../core/errors.js";

/** Keys whose object values are per-task records. */
const TASK_RECORDS = new Set(["scores", "outcomes"]);
const MAX_LISTED_ISSUES = 20;

export type FieldPath = readonly PropertyKey[];

export function formatPath(path: FieldPath): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text === "" ? "(body)" : text;
}

export function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return "a string";
  return typeof value === "number" ? `the number ${value}` : typeof value;
}

/** An error about the field at `path`; `details.path` names it. */
export function fieldError(code: ErrorCode, path: FieldPath, message: string): MtfError {
  const where = formatPath(path);
  return new MtfError(code, `${where}: ${message}`, { details: { path: where } });
}

interface ClassifiedIssue {
  readonly code: ErrorCode;
  readonly path: string;
  readonly message: string;
}

function lastKey(path: FieldPath): PropertyKey | undefined {
  return path[path.length - 1];
}

function classify(issue: z.core.$ZodIssue): ClassifiedIssue[] {
  const path = formatPath(issue.path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const inTaskRecord = TASK_RECORDS.has(String(lastKey(issue.path)));
      return issue.keys.map((key) => {
        const where = formatPath([...issue.path, key]);
        return inTaskRecord
          ? {
              code: "UNKNOWN_TASK",
              path: where,
              message: `${where}: "${String(key)}" is not a task of this record`,
            }
          : { code: "UNKNOWN_FIELD", path: where, message: `${where}: unknown field` };
      });
    }
    case "invalid_type": {
      const input = (issue as { input?: unknown }).input;
      if (input === undefined) {
        return [{ code: "MISSING_FIELD", path, message: `${path}: missing, expected ${issue.expected}` }];
      }
      if (typeof input === "number" && !Number.isFinite(input)) {
        const inScores = issue.path.some((key) => key === "scores");
        const code: ErrorCode = inScores ? "NON_FINITE_SCORE" : "INVALID_VALUE";
        return [{ code, path, message: `${path}: ${input} is not a finite number` }];
      }
      return [
        {
          code: "WRONG_TYPE",
          path,
          message: `${path}: expected ${issue.expected}, got ${describeJson(input)}`,
        },
      ];
    }
    case "too_big": {
      const field = String(lastKey(issue.path));
      if (issue.origin === "array" && (field === "candidates" || field === "itemIds")) {
        return [
          { code: "TOO_MANY_CANDIDATES", path, message: `${path}: more than ${issue.maximum} candidates` },
        ];
      }
      if (issue.origin === "array" && field === "events") {
        return [{ code: "TOO_MANY_EVENTS", path, message: `${path}: more than ${issue.maximum} events` }];
      }
      return [{ code: "INVALID_VALUE", path, message: `${path}: ${issue.message}` }];
    }
    case "invalid_union":
      return [{ code: "WRONG_TYPE", path, message: `${path}: ${issue.message}` }];
    default:
      return [{ code: "INVALID_VALUE", path, message: `${path}: ${issue.message}` }];
  }
}

/** The first issue decides the code; `details.issues` lists them all (up to 20). */
export function issuesError(error: z.ZodError): MtfError {
  const issues = error.issues.flatMap(classify);
  const first = issues[0] ?? { code: "INVALID_VALUE" as const, path: "(body)", message: "invalid request" };
  return new MtfError(first.code, first.message, {
    details: { path: first.path, issues: issues.slice(0, MAX_LISTED_ISSUES) },
  });
}

/** `schema.safeParse(value)` returning the data or throwing the coded error. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw issuesError(result.error);
  return result.data;
}
