/**
 * The generic importer for real platforms' logs: CSV (header line), JSONL (one object per line)
 * or Parquet files whose columns are `EVENT_COLUMNS` names (docs/data.md lists them).
 *
 * Required columns: the non-nullable ones (event_id, user_id, item_id, request_id, ts_ms,
 * play_time_ms). Every other column is optional; an absent one is NULL. The per-task vectors
 * (`score_*`, `alpha_*`, `action_*`) come all 12 or not at all, per file and per row.
 *
 * Every row is validated against the store's value rules; a bad row stops the import with a
 * `file:line` BAD_ROW error, or with `skipBadRows` is counted per reason in the summary. The
 * whole file is one store batch: a failed import stores nothing.
 */
import fs from "node:fs";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { MtfError } from "../core/errors.js";
import { type ColumnSpec, EVENT_COLUMNS, type PlayEvent } from "../core/events.js";
import { BadRowLog, type SkippedRows } from "./bad-rows.js";
import { parseDecimal, readLines, splitCsvLine } from "./csv.js";
import {
  type BadRowReason,
  type CellProblem,
  type CellValue,
  checkRow,
  eventColumnIndex,
  eventFromValues,
  vectorColumns,
} from "./event-record.js";
import type { LogStore, StoreBatch } from "./log-store.js";

export const EVENT_FILE_FORMATS = ["csv", "jsonl", "parquet"] as const;
export type EventFileFormat = (typeof EVENT_FILE_FORMATS)[number];

/** Columns an events file must have. */
export const REQUIRED_EVENT_COLUMNS: readonly string[] = EVENT_COLUMNS.filter((c) => !c.nullable).map(
  (c) => c.name,
);

export interface ImportProgress {
  readonly rows: number;
  /** Bytes read so far (CSV, JSONL) or rows read (Parquet), out of `total`. */
  readonly done: number;
  readonly total: number;
}

export interface ImportOptions {
  /** Skip bad rows (counted in the summary) instead of failing the import. */
  readonly skipBadRows?: boolean;
  /** Format; by default from the extension (.csv, .jsonl/.ndjson, .parquet). */
  readonly format?: EventFileFormat;
  readonly onProgress?: (progress: ImportProgress) => void;
}

export interface ImportSummary {
  readonly file: string;
  /** Data rows read (header excluded, blank lines not counted). */
  readonly rowsRead: number;
  readonly inserted: number;
  /** Rows whose event_id was already stored or appeared earlier in the file. */
  readonly duplicates: number;
  readonly skipped: SkippedRows;
}

/** A data row of an input file: a row in EVENT_COLUMNS order, or why it is refused. */
type InputRow =
  | { readonly line: number; readonly values: readonly CellValue[] }
  | {
      readonly line: number;
      readonly problem: Omit<CellProblem, "column"> & { readonly column: string | null };
    };

/** Rows handed to the store batch at a time. */
const STAGE_ROWS = 8192;
const PROGRESS_EVERY = 10_000;

export function detectFormat(file: string): EventFileFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".parquet") return "parquet";
  throw new MtfError(
    "INVALID_ARGUMENT",
    `${file}: unknown events format "${ext}"; use .csv, .jsonl or .parquet`,
  );
}

/** Imports one events file into the store in a single batch. */
export async function importEvents(
  store: LogStore,
  file: string,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  if (!fs.existsSync(file)) throw new MtfError("FILE_NOT_FOUND", `no events file at ${file}`);
  const format = options.format ?? detectFormat(file);
  const badRows = new BadRowLog(options.skipBadRows ?? false);
  const batch = await store.beginBatch();
  let rowsRead = 0;
  try {
    const pending: PlayEvent[] = [];
    const rows = format === "parquet" ? parquetRows(store, file, options) : textRows(file, format, options);
    for await (const row of rows) {
      rowsRead++;
      const problem = "problem" in row ? row.problem : checkRow(row.values);
      if (problem !== null) {
        badRows.refuse({ file, line: row.line, ...problem });
        continue;
      }
      pending.push(eventFromValues((row as { values: readonly CellValue[] }).values));
      if (pending.length >= STAGE_ROWS) flush(batch, pending);
    }
    flush(batch, pending);
    const { inserted, duplicates } = await batch.commit();
    return { file, rowsRead, inserted, duplicates, skipped: badRows.summary() };
  } catch (error) {
    await batch.abort();
    throw error;
  }
}

function flush(batch: StoreBatch, pending: PlayEvent[]): void {
  batch.appendEvents(pending);
  pending.length = 0;
}

/** A refused header (CSV line `line`) or schema (Parquet, `line` null): never skippable. */
function headerError(file: string, line: number | null, message: string, column: string | null): MtfError {
  return new MtfError("BAD_ROW", `${file}${line === null ? "" : `:${line}`}: ${message}`, {
    details: { file, line, column, reason: "unknown_column" },
  });
}

/** Checks a file's column names: all known, none twice, the required present, vectors whole. */
function checkColumnNames(file: string, line: number | null, names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (eventColumnIndex(name) < 0) {
      throw headerError(
        file,
        line,
        `unknown column "${name}" (the events columns are listed in docs/data.md)`,
        name,
      );
    }
    if (seen.has(name)) throw headerError(file, line, `column "${name}" appears twice`, name);
    seen.add(name);
  }
  for (const name of REQUIRED_EVENT_COLUMNS) {
    if (!seen.has(name)) throw headerError(file, line, `missing required column "${name}"`, name);
  }
  for (const prefix of ["score", "alpha", "action"] as const) {
    const columns = vectorColumns(prefix);
    const present = columns.filter((c) => seen.has(c));
    if (present.length > 0 && present.length < columns.length) {
      const missing = columns.find((c) => !seen.has(c)) ?? columns[0];
      throw headerError(
        file,
        line,
        `${prefix}_* columns must be all ${columns.length} or none; "${missing}" is missing`,
        missing,
      );
    }
  }
}

type Coerced = { readonly value: CellValue } | { readonly problem: CellProblem };

/** Turns a raw input value (CSV text, JSON value, Parquet value) into a typed cell. */
function coerceCell(spec: ColumnSpec, raw: unknown): Coerced {
  if (raw === null || raw === undefined || raw === "") return { value: null };
  const problem = (reason: BadRowReason, message: string): Coerced => ({
    problem: { column: spec.name, reason, message },
  });
  if (spec.type === "VARCHAR") {
    if (typeof raw === "string") return { value: raw };
    if ((typeof raw === "number" && Number.isFinite(raw)) || typeof raw === "bigint")
      return { value: String(raw) };
    return problem("wrong_type", `${spec.name} must be a string, got ${JSON.stringify(raw)}`);
  }
  if (typeof raw === "number") return { value: raw };
  if (typeof raw === "bigint") {
    const n = Number(raw);
    return Number.isSafeInteger(n)
      ? { value: n }
      : problem("not_an_integer", `${spec.name} ${raw} is too large`);
  }
  if (typeof raw === "string") {
    const n = parseDecimal(raw);
    return Number.isNaN(n)
      ? problem("not_a_number", `${spec.name} must be a number, got "${raw}"`)
      : { value: n };
  }
  return problem("wrong_type", `${spec.name} must be a number, got ${JSON.stringify(raw)}`);
}

/** Builds a row in EVENT_COLUMNS order from (column index, raw value) pairs; absent columns are NULL. */
function buildRow(line: number, indices: readonly number[], raw: readonly unknown[]): InputRow {
  const values: CellValue[] = new Array(EVENT_COLUMNS.length).fill(null);
  for (let k = 0; k < indices.length; k++) {
    const coerced = coerceCell(EVENT_COLUMNS[indices[k]], raw[k]);
    if ("problem" in coerced) return { line, problem: coerced.problem };
    values[indices[k]] = coerced.value;
  }
  return { line, values };
}

async function* textRows(
  file: string,
  format: "csv" | "jsonl",
  options: ImportOptions,
): AsyncGenerator<InputRow> {
  const total = fs.statSync(file).size;
  let header: number[] | null = null;
  let rows = 0;
  for await (const { lineNo, text, bytesRead } of readLines(file)) {
    if (text.trim() === "") continue;
    if (format === "csv" && header === null) {
      const names = splitCsvLine(text);
      if (names === null) throw headerError(file, lineNo, "unbalanced quotes in the header", null);
      const trimmed = names.map((n) => n.trim());
      checkColumnNames(file, lineNo, trimmed);
      header = trimmed.map(eventColumnIndex);
      continue;
    }
    rows++;
    if (options.onProgress !== undefined && rows % PROGRESS_EVERY === 0) {
      options.onProgress({ rows, done: bytesRead, total });
    }
    yield format === "csv" ? csvRow(lineNo, text, header ?? []) : jsonRow(lineNo, text);
  }
  options.onProgress?.({ rows, done: total, total });
}

function csvRow(line: number, text: string, header: readonly number[]): InputRow {
  const fields = splitCsvLine(text);
  if (fields === null) {
    return { line, problem: { column: null, reason: "column_count", message: "unbalanced quotes" } };
  }
  if (fields.length !== header.length) {
    return {
      line,
      problem: {
        column: null,
        reason: "column_count",
        message: `expected ${header.length} fields, found ${fields.length}`,
      },
    };
  }
  return buildRow(line, header, fields);
}

function jsonRow(line: number, text: string): InputRow {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { line, problem: { column: null, reason: "bad_json", message: `not valid JSON: ${message}` } };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return {
      line,
      problem: { column: null, reason: "bad_json", message: "each line must be one JSON object" },
    };
  }
  const record = parsed as Record<string, unknown>;
  const keys = Object.keys(record);
  const indices: number[] = [];
  for (const key of keys) {
    const index = eventColumnIndex(key);
    if (index < 0) {
      return { line, problem: { column: key, reason: "unknown_column", message: `unknown column "${key}"` } };
    }
    indices.push(index);
  }
  return buildRow(
    line,
    indices,
    keys.map((k) => record[k]),
  );
}

async function* parquetRows(store: LogStore, file: string, options: ImportOptions): AsyncGenerator<InputRow> {
  const connection = await store.connect();
  try {
    const source = `read_parquet('${file.replaceAll("'", "''")}', file_row_number = true)`;
    const names = await parquetColumns(connection, file, source);
    checkColumnNames(file, null, names);
    const [{ n }] = (await connection.runAndReadAll(`SELECT count(*) AS n FROM ${source}`)).getRowObjectsJS();
    const total = Number(n);
    const indices = names.map(eventColumnIndex);
    // DuckDB: read_parquet(…, file_row_number = true) numbers rows from 0 for the messages.
    const result = await connection.stream(`SELECT file_row_number, ${names.join(", ")} FROM ${source}`);
    let rows = 0;
    for await (const chunk of result.yieldRowsJs()) {
      for (const [rowNumber, ...raw] of chunk) {
        rows++;
        yield buildRow(Number(rowNumber) + 1, indices, raw);
      }
      options.onProgress?.({ rows, done: rows, total });
    }
  } finally {
    connection.closeSync();
  }
}

async function parquetColumns(connection: DuckDBConnection, file: string, source: string): Promise<string[]> {
  try {
    // DuckDB: DESCRIBE SELECT … FROM read_parquet(…); Spark: spark.read.parquet(file).schema
    const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJS();
    return described.map((d) => String(d.column_name)).filter((name) => name !== "file_row_number");
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new MtfError("BAD_ROW", `${file}: not a readable Parquet file: ${message}`, { cause: error });
  }
}
