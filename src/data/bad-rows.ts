/**
 * Bookkeeping of refused input rows. Strict imports stop at the first bad row with a
 * `file:line` BAD_ROW error; with `skipBadRows` the row is counted per reason and the first few
 * are kept as examples, so no row is ever dropped silently.
 */
import { MtfError } from "../core/errors.js";

/** How many skipped rows are kept verbatim in a summary. */
const MAX_EXAMPLES = 5;

export interface BadRow {
  readonly file: string;
  /** 1-based line (CSV, JSONL) or row (Parquet) number. */
  readonly line: number;
  readonly column: string | null;
  readonly reason: string;
  readonly message: string;
}

export interface SkippedRows {
  readonly count: number;
  readonly byReason: Readonly<Record<string, number>>;
  readonly examples: readonly BadRow[];
}

/** "file:12: column play_time_ms: play_time_ms cannot be negative, got -5" */
export function describeBadRow(row: BadRow): string {
  return `${row.file}:${row.line}: ${row.column === null ? "" : `column ${row.column}: `}${row.message}`;
}

export class BadRowLog {
  readonly #skip: boolean;
  readonly #byReason = new Map<string, number>();
  readonly #examples: BadRow[] = [];
  #count = 0;

  constructor(skipBadRows: boolean) {
    this.#skip = skipBadRows;
  }

  /** Records a bad row; throws BAD_ROW unless bad rows are skipped. */
  refuse(row: BadRow): void {
    if (!this.#skip) {
      throw new MtfError("BAD_ROW", describeBadRow(row), {
        details: { file: row.file, line: row.line, column: row.column, reason: row.reason },
      });
    }
    this.#count++;
    this.#byReason.set(row.reason, (this.#byReason.get(row.reason) ?? 0) + 1);
    if (this.#examples.length < MAX_EXAMPLES) this.#examples.push(row);
  }

  summary(): SkippedRows {
    return {
      count: this.#count,
      byReason: Object.fromEntries([...this.#byReason].sort(([a], [b]) => a.localeCompare(b))),
      examples: [...this.#examples],
    };
  }
}
