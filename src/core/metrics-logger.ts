/**
 * One logger for training and evaluation scalars (STYLE.md: "every update step returns
 * `Record<string, number>`; one logger owns aggregation and sinks"). Update steps hand their
 * metric dicts to `add`; `flush(step)` averages everything buffered since the last flush, key by
 * key, and hands one record to every sink (a JSONL file, a console line, anything with `write`).
 *
 * Names are namespaced with a slash, as in CleanRL / d3rlpy: `loss/critic`, `q/mean`,
 * `action/std`, `time/steps_per_s`. A record is flat: `{ "step": 1000, "loss/critic": 0.12, … }`,
 * so a plotting script reads one JSON object per line. Non-finite values are kept in the average
 * (a NaN loss shows up as `null` in JSON rather than vanishing).
 */
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { MtfError } from "./errors.js";

/** What an update step returns: namespaced scalar metrics. */
export type Metrics = Readonly<Record<string, number>>;

/** One averaged record: the step it was flushed at and the mean of each metric since the last flush. */
export interface MetricsRecord {
  readonly step: number;
  readonly metrics: Metrics;
}

/** Where averaged records go. */
export interface MetricsSink {
  write(record: MetricsRecord): void;
  /** Releases resources (files); called by `MetricsLogger.close`. */
  close?(): void;
}

interface Accumulator {
  sum: number;
  count: number;
}

export class MetricsLogger {
  private readonly sinks: readonly MetricsSink[];
  private readonly buffer = new Map<string, Accumulator>();
  private adds = 0;

  constructor(sinks: readonly MetricsSink[] = []) {
    this.sinks = sinks;
  }

  /** Metric dicts added since the last flush. */
  get pending(): number {
    return this.adds;
  }

  /** Buffers one update's metrics (keys may differ between calls; each key averages over its own calls). */
  add(metrics: Metrics): void {
    for (const key in metrics) {
      const value = metrics[key];
      if (typeof value !== "number") {
        throw new MtfError("INVALID_ARGUMENT", `metric "${key}" must be a number, got ${typeof value}`);
      }
      const acc = this.buffer.get(key);
      if (acc === undefined) this.buffer.set(key, { sum: value, count: 1 });
      else {
        acc.sum += value;
        acc.count += 1;
      }
    }
    this.adds += 1;
  }

  /** The averages buffered so far, without flushing. */
  peek(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, acc] of this.buffer) out[key] = acc.sum / acc.count;
    return out;
  }

  /**
   * Averages the buffered metrics, adds `extra` (e.g. `time/steps_per_s`, taken as is), writes the
   * record to every sink and clears the buffer. Returns the record, or null when nothing was
   * buffered and `extra` is empty.
   */
  flush(step: number, extra: Metrics = {}): MetricsRecord | null {
    if (!Number.isInteger(step) || step < 0) {
      throw new MtfError("INVALID_ARGUMENT", `metrics step must be a non-negative integer, got ${step}`);
    }
    const metrics: Record<string, number> = { ...this.peek(), ...extra };
    this.buffer.clear();
    this.adds = 0;
    if (Object.keys(metrics).length === 0) return null;
    const record: MetricsRecord = { step, metrics };
    for (const sink of this.sinks) sink.write(record);
    return record;
  }

  /** Closes every sink (buffered, unflushed metrics are dropped: flush first). */
  close(): void {
    for (const sink of this.sinks) sink.close?.();
  }
}

/** The flat JSON object of a record: `{ "step": …, "<name>": … }`. */
export function recordToJson(record: MetricsRecord): string {
  return JSON.stringify({ step: record.step, ...record.metrics });
}

export interface JsonlSinkOptions {
  /**
   * When resuming a run: keep the existing file's lines with `step <= resumeStep` and drop the
   * rest (they were written after the checkpoint being resumed, and the resumed run writes them
   * again). Absent: the file is started afresh.
   */
  readonly resumeStep?: number;
}

/** A sink appending one JSON object per line to `path` (written synchronously, so a kill loses nothing flushed). */
export function jsonlSink(path: string, options: JsonlSinkOptions = {}): MetricsSink {
  if (options.resumeStep === undefined || !existsSync(path)) {
    writeFileSync(path, "");
  } else {
    const keep = readFileSync(path, "utf8")
      .split("\n")
      .filter((line) => {
        if (line.trim() === "") return false;
        try {
          const step = (JSON.parse(line) as { step?: unknown }).step;
          return typeof step === "number" && step <= (options.resumeStep as number);
        } catch {
          return false; // a line cut by a kill mid-write
        }
      });
    writeFileSync(path, keep.length === 0 ? "" : `${keep.join("\n")}\n`);
  }
  const fd = openSync(path, "a");
  let open = true;
  return {
    write(record) {
      if (!open) throw new MtfError("INVALID_ARGUMENT", `metrics file ${path} is closed`);
      writeSync(fd, `${recordToJson(record)}\n`);
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** Reads a JSONL metrics file back into records (e.g. for plots and tests). */
export function readJsonlMetrics(path: string): MetricsRecord[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const { step, ...metrics } = JSON.parse(line) as Record<string, number | null>;
      const values: Record<string, number> = {};
      for (const [key, value] of Object.entries(metrics)) values[key] = value ?? Number.NaN;
      return { step: step as number, metrics: values };
    });
}

export interface ConsoleSinkOptions {
  /** Metrics to print, in this order (default: all, sorted by name). */
  readonly keys?: readonly string[];
  /** Significant digits (default 4). */
  readonly digits?: number;
}

/** One line per record, e.g. `step 1000  loss/critic 0.1234  q/mean 3.210`, through `writeLine`. */
export function consoleSink(
  writeLine: (line: string) => void,
  options: ConsoleSinkOptions = {},
): MetricsSink {
  const digits = options.digits ?? 4;
  return {
    write(record) {
      const keys = options.keys ?? Object.keys(record.metrics).sort();
      const parts = keys
        .filter((key) => key in record.metrics)
        .map((key) => `${key} ${formatMetric(record.metrics[key], digits)}`);
      writeLine(`step ${record.step}  ${parts.join("  ")}`);
    },
  };
}

/** A compact rendering of one metric value with `digits` significant digits. */
export function formatMetric(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-3))
    return value.toExponential(digits - 1);
  return Number(value.toPrecision(digits)).toString();
}
