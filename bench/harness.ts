/**
 * The benchmark harness behind `npm run bench`. Each workload measures absolute figures; where
 * an outside reference exists (PyTorch via ../shared/bench/torch_reference.py) the workload
 * runs it in the same invocation and reports the ratio ours / reference (oriented so that
 * ratio > 1 means we are better). Performance is measured here, never in timed tests.
 */
export interface Measurement {
  readonly workload: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** The reference's figure for the same metric, when one was measured in this run. */
  readonly reference: number | null;
  /** What the reference was (e.g. `torch-1.13.0-1t-blas1`), or why there is none. */
  readonly referenceTag: string | null;
  /** ours / reference for throughputs, reference / ours for latencies: > 1 means faster. */
  readonly ratio: number | null;
  readonly note?: string;
}

export interface BenchContext {
  /** Progress lines go to stderr so `--json` output stays machine-readable. */
  log(message: string): void;
  /** `--quick`: fewer repetitions, for smoke runs. */
  readonly quick: boolean;
}

export interface Workload {
  /** Name used by `--only`. */
  readonly name: string;
  readonly description: string;
  run(ctx: BenchContext): Promise<readonly Measurement[]>;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A measurement without a reference (absolute figure; the machine is printed in the header). */
export function absolute(
  workload: string,
  metric: string,
  value: number,
  unit: string,
  note?: string,
): Measurement {
  return { workload, metric, value, unit, reference: null, referenceTag: null, ratio: null, note };
}
