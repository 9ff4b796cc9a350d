/**
 * What a report is made of: the results of one `mtf pipeline` or `mtf experiment table1` run.
 * The pipeline writes this object as `results.json` in its run folder; `src/report/` renders it
 * (Markdown, CSV, figures, one self-contained HTML file) and never computes a number of its
 * own, so every figure in the report is one of the run's outputs.
 */

/** One row of Table 1: a method's offline estimate, online A/B result and true value. */
export interface MethodResult {
  /** e.g. "BatchRL-MTF", "BO", "TD3", "BatchRL-MTF-RE", "BatchRL-MTF-Rtime". */
  readonly method: string;
  /** Reward preset the method was trained (and estimated) under: "default", "time", … */
  readonly reward: string;
  /** Conservative-OPE V̂ on the test split under `reward`, with its bootstrap interval; null if not estimated (BO, ES are online). */
  readonly ope: { readonly value: number; readonly low: number; readonly high: number } | null;
  /** Simulated A/B test vs the control arm; null for the control arm itself. */
  readonly abTest: {
    readonly adTime: RelativeChange | null;
    readonly upiRate: RelativeChange | null;
  } | null;
  /** Monte-Carlo true discounted session return under the default reward, with a 95% interval; null if not rolled out. */
  readonly trueValue: { readonly value: number; readonly low: number; readonly high: number } | null;
  /** Per-arm absolute metrics from the A/B test (control included). */
  readonly online: {
    readonly adTime: number;
    readonly upiRate: number;
    readonly playsPerUserDay: number;
    readonly returnRate: number;
  } | null;
}

export interface RelativeChange {
  /** (treatment − control) / control */
  readonly relativeChange: number;
  readonly low: number;
  readonly high: number;
  readonly pValue: number;
}

/** Fig. 5: Q estimates over training, one series per RL method. */
export interface QCurve {
  readonly method: string;
  readonly points: readonly { readonly step: number; readonly mean: number; readonly std: number }[];
}

/**
 * Fig. 6-7: distributions of selected fusion weights (play_time, finish, exit, like, … by task
 * name) for the behaviour data and each RL method's decisions on the test split's states.
 */
export interface WeightDistribution {
  /** "behaviour data", "BatchRL-MTF", "BatchRL-MTF-RE", … */
  readonly source: string;
  readonly task: string;
  /** The α values (one per state or logged event; the renderer bins them). */
  readonly values: readonly number[];
}

/** Fig. 8: long-term value against a swept hyper-parameter. */
export interface SweepPoint {
  /** "rho" or "critic_lr". */
  readonly parameter: string;
  readonly value: number;
  /** The long-term value measured (e.g. true value or ADTime) with an interval. */
  readonly metric: number;
  readonly low: number;
  readonly high: number;
}

/** Per-segment view: which users get which α from BatchRL-MTF and how their ADTime moved. */
export interface SegmentResult {
  /** e.g. "activity: high", "prefers long videos". */
  readonly segment: string;
  readonly users: number;
  /** Mean α per task (task name → weight) that BatchRL-MTF chose for this segment's states. */
  readonly meanAlpha: Readonly<Record<string, number>>;
  /** ADTime relative change of BatchRL-MTF vs control within the segment. */
  readonly adTimeChange: RelativeChange | null;
}

export interface StageTiming {
  readonly stage: string;
  readonly seconds: number;
  /** What the stage produced, in words ("2,000 users x 7 days, 180,412 events"). */
  readonly detail: string;
}

export interface ReportInput {
  readonly title: string;
  /** "pipeline" (quick, embedded defaults) or "table1" (the full protocol, possibly scaled). */
  readonly kind: "pipeline" | "table1";
  readonly createdAt: string;
  readonly seed: number;
  /** Hash of the frozen simulator config, and of the whole run config. */
  readonly simConfigHash: string;
  readonly configHash: string;
  /** e.g. "native-avx2, 2 threads"; node version; mtf version. */
  readonly runtime: Readonly<Record<string, string>>;
  /** Data sizes: users, days, events, sessions, transitions (train/test). */
  readonly dataSizes: Readonly<Record<string, number>>;
  /** Name of the control arm of the A/B test (BO in Table 1). */
  readonly control: string;
  /** A/B test setup in words (users per arm, days, paired or not). */
  readonly abTestSetup: string;
  readonly methods: readonly MethodResult[];
  readonly qCurves: readonly QCurve[];
  readonly weightDistributions: readonly WeightDistribution[];
  readonly sweeps: readonly SweepPoint[];
  /** What the sweeps' `metric` is, as Fig. 8's axis title (e.g. "true value"); "long-term value" if absent. */
  readonly sweepMetric?: string;
  readonly segments: readonly SegmentResult[];
  readonly stages: readonly StageTiming[];
  /** Plain-language notes the run wants printed (e.g. where the ordering differs from the paper). */
  readonly notes: readonly string[];
}
