/**
 * `mtf fit-reward`: the Eq. 2 weights from the log (paper Sec. 3.1: "weights w_1, …, w_m are set
 * via extensive statistic analysis on relationships between these feedback and future user app
 * dwell time"; DESIGN.md "Long term").
 *
 * Per user-day (a day = the local calendar day in the configured time zone, default UTC+8):
 *   x = that day's rates of the reward features v of Eq. 2, averaged over the day's plays:
 *       play_time_min (minutes per play), play_integrity, like, comment, follow, forward,
 *       profile_enter, hate, skip — each as `rewardFeatures` defines it (unknown → 0,
 *       skip = play < 3 s when not logged);
 *   y = the user's app time (total play time, minutes) over the next H days (default 7),
 *       days without activity counting 0. User-days whose horizon runs past the log's last day
 *       are left out.
 * Ordinary least squares y = b0 + Σ_j b_j x_j gives coefficients, standard errors, 95%
 * intervals (Student t), R² and n.
 *
 * Coefficients → Eq. 2 weights (the `default` preset's base weights):
 *   w_j = b_j / b_play_time_min, so play time in minutes keeps weight 1 and every weight reads
 *   "worth this many minutes of watching"; negative coefficients are kept (e.g. skip, hate).
 *   A coefficient whose 95% interval covers 0, or a feature constant over the data (e.g. no
 *   forward at all), gets its fallback constant (`FALLBACK_REWARD_WEIGHTS`), flagged.
 *   Everything falls back, with a warning, when there are fewer than `MIN_USER_DAYS` user-days,
 *   when the design is singular, or when b_play_time_min is not significantly positive (the
 *   scale is then undefined).
 */
import fs from "node:fs";
import path from "node:path";
import { MtfError } from "../core/errors.js";
import {
  FALLBACK_REWARD_WEIGHTS,
  N_REWARD_FEATURES,
  REWARD_FEATURES,
  type RewardFeature,
  type RewardWeights,
  SKIP_THRESHOLD_MS,
} from "../core/reward.js";
import type { LogStore } from "./log-store.js";

/** Default horizon of the future app time, days. */
export const DEFAULT_HORIZON_DAYS = 7;
/** Fewest user-days a fit needs; below it every weight falls back. */
export const MIN_USER_DAYS = 200;
/** Name of the weights file in a run folder; `mtf build` reads it. */
export const REWARD_WEIGHTS_FILE = "reward-weights.json";

const DAY_MS = 86_400_000;
const Z_975 = 1.959963984540054;

export interface FitRewardOptions {
  readonly horizonDays?: number;
  /** Minutes east of UTC of the local day (default 480 = UTC+8). */
  readonly utcOffsetMinutes?: number;
}

export interface Coefficient {
  /** "intercept" or a reward feature. */
  readonly term: string;
  readonly estimate: number;
  readonly stdError: number;
  /** 95% interval. */
  readonly low: number;
  readonly high: number;
  /** The interval excludes 0. */
  readonly significant: boolean;
}

export type WeightSource = "fitted" | "fallback";

export interface RewardFit {
  /** User-days in the regression. */
  readonly n: number;
  /** User-days left out because their horizon runs past the end of the log. */
  readonly excluded: number;
  readonly horizonDays: number;
  /** null when no regression ran. */
  readonly r2: number | null;
  /** Empty when no regression ran; dropped (constant) features are absent. */
  readonly coefficients: readonly Coefficient[];
  /** Base weights of Eq. 2 (the `default` preset before any doubling). */
  readonly weights: RewardWeights;
  readonly sources: Readonly<Record<RewardFeature, WeightSource>>;
  /** Every weight is a fallback constant. */
  readonly usedFallback: boolean;
  readonly warnings: readonly string[];
}

// --- statistics ---------------------------------------------------------------------------

/**
 * The 0.975 quantile of Student's t with `df` degrees of freedom (Cornish-Fisher expansion
 * about the normal quantile; error < 1e-3 for df >= 3, exact as df → ∞).
 */
export function tQuantile975(df: number): number {
  if (!(df >= 1)) throw new MtfError("INVALID_ARGUMENT", `degrees of freedom must be >= 1, got ${df}`);
  const z = Z_975;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  const z9 = z ** 9;
  const g1 = (z3 + z) / 4;
  const g2 = (5 * z5 + 16 * z3 + 3 * z) / 96;
  const g3 = (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / 384;
  const g4 = (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / 92160;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4;
}

export interface OlsResult {
  /** [p + 1]: intercept, then one per column. */
  readonly estimate: Float64Array;
  /** [p + 1] standard errors. */
  readonly stdError: Float64Array;
  readonly r2: number;
  /** Residual degrees of freedom n − p − 1. */
  readonly df: number;
}

/**
 * Ordinary least squares with intercept of y [n] on x [n x p] (row-major). Columns are centred
 * first (the intercept is recovered after), the normal equations solved by Cholesky. Returns
 * null when the design is singular (a pivot below 1e-10 of its diagonal) or n <= p + 1.
 */
export function ols(x: Float64Array, y: Float64Array, n: number, p: number): OlsResult | null {
  if (n <= p + 1) return null;
  const mean = new Float64Array(p);
  let yMean = 0;
  for (let i = 0; i < n; i++) {
    yMean += y[i];
    for (let j = 0; j < p; j++) mean[j] += x[i * p + j];
  }
  yMean /= n;
  for (let j = 0; j < p; j++) mean[j] /= n;
  // A = Xcᵀ Xc [p x p], b = Xcᵀ (y − ȳ) [p]
  const a = new Float64Array(p * p);
  const b = new Float64Array(p);
  let tss = 0;
  for (let i = 0; i < n; i++) {
    const dy = y[i] - yMean;
    tss += dy * dy;
    for (let j = 0; j < p; j++) {
      const xj = x[i * p + j] - mean[j];
      b[j] += xj * dy;
      for (let k = 0; k <= j; k++) a[j * p + k] += xj * (x[i * p + k] - mean[k]);
    }
  }
  for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) a[k * p + j] = a[j * p + k];
  const inverse = invertSpd(a, p);
  if (inverse === null) return null;
  const beta = new Float64Array(p);
  for (let j = 0; j < p; j++) for (let k = 0; k < p; k++) beta[j] += inverse[j * p + k] * b[k];
  let rss = 0;
  for (let i = 0; i < n; i++) {
    let fit = yMean;
    for (let j = 0; j < p; j++) fit += beta[j] * (x[i * p + j] - mean[j]);
    rss += (y[i] - fit) ** 2;
  }
  const df = n - p - 1;
  const sigma2 = rss / df;
  const estimate = new Float64Array(p + 1);
  const stdError = new Float64Array(p + 1);
  // Raw intercept b0 = ȳ − mᵀβ; Var(b0) = σ²/n + mᵀ Cov(β) m (ȳ is independent of the centred slopes).
  let intercept = yMean;
  let interceptVar = sigma2 / n;
  for (let j = 0; j < p; j++) {
    intercept -= mean[j] * beta[j];
    for (let k = 0; k < p; k++) interceptVar += mean[j] * sigma2 * inverse[j * p + k] * mean[k];
    estimate[j + 1] = beta[j];
    stdError[j + 1] = Math.sqrt(Math.max(sigma2 * inverse[j * p + j], 0));
  }
  estimate[0] = intercept;
  stdError[0] = Math.sqrt(Math.max(interceptVar, 0));
  return { estimate, stdError, r2: tss > 0 ? 1 - rss / tss : 0, df };
}

/** Inverse of a symmetric positive-definite [p x p] matrix via Cholesky; null when singular. */
function invertSpd(a: Float64Array, p: number): Float64Array | null {
  const l = new Float64Array(p * p); // lower triangle, A = L Lᵀ
  for (let j = 0; j < p; j++) {
    let d = a[j * p + j];
    for (let k = 0; k < j; k++) d -= l[j * p + k] ** 2;
    if (!(d > 1e-10 * Math.max(a[j * p + j], Number.MIN_VALUE))) return null;
    const ljj = Math.sqrt(d);
    l[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let s = a[i * p + j];
      for (let k = 0; k < j; k++) s -= l[i * p + k] * l[j * p + k];
      l[i * p + j] = s / ljj;
    }
  }
  // Solve L Lᵀ X = I column by column.
  const inverse = new Float64Array(p * p);
  const z = new Float64Array(p);
  for (let c = 0; c < p; c++) {
    for (let i = 0; i < p; i++) {
      let s = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) s -= l[i * p + k] * z[k];
      z[i] = s / l[i * p + i];
    }
    for (let i = p - 1; i >= 0; i--) {
      let s = z[i];
      for (let k = i + 1; k < p; k++) s -= l[k * p + i] * inverse[k * p + c];
      inverse[i * p + c] = s / l[i * p + i];
    }
  }
  return inverse;
}

// --- user-days → weights ----------------------------------------------------------------------

function fallbackFit(n: number, excluded: number, horizonDays: number, warning: string): RewardFit {
  return {
    n,
    excluded,
    horizonDays,
    r2: null,
    coefficients: [],
    weights: { ...FALLBACK_REWARD_WEIGHTS },
    sources: Object.fromEntries(REWARD_FEATURES.map((f) => [f, "fallback"])) as Record<
      RewardFeature,
      WeightSource
    >,
    usedFallback: true,
    warnings: [warning],
  };
}

/**
 * Fits Eq. 2 weights from user-days: `rates` [n x 9] in `REWARD_FEATURES` order, `future` [n]
 * app minutes over the horizon. See the file header for the mapping and the fallbacks.
 */
export function fitFromUserDays(
  rates: Float64Array,
  future: Float64Array,
  n: number,
  horizonDays: number,
  excluded = 0,
): RewardFit {
  if (n < MIN_USER_DAYS) {
    return fallbackFit(
      n,
      excluded,
      horizonDays,
      `only ${n} user-days with a full ${horizonDays}-day horizon (need ${MIN_USER_DAYS}): using the fallback reward weights`,
    );
  }
  // Drop features that never vary: their coefficient is not identified.
  const kept: number[] = [];
  for (let j = 0; j < N_REWARD_FEATURES; j++) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      min = Math.min(min, rates[i * N_REWARD_FEATURES + j]);
      max = Math.max(max, rates[i * N_REWARD_FEATURES + j]);
    }
    if (max > min) kept.push(j);
  }
  const p = kept.length;
  const x = new Float64Array(n * p); // [n x 9] -> [n x p], kept columns
  for (let i = 0; i < n; i++)
    for (let k = 0; k < p; k++) x[i * p + k] = rates[i * N_REWARD_FEATURES + kept[k]];
  const fit = ols(x, future, n, p);
  if (fit === null) {
    return fallbackFit(
      n,
      excluded,
      horizonDays,
      "the regression design is singular: using the fallback reward weights",
    );
  }
  const t = tQuantile975(fit.df);
  const coefficients: Coefficient[] = [-1, ...kept].map((j, k) => {
    const estimate = fit.estimate[k];
    const stdError = fit.stdError[k];
    const low = estimate - t * stdError;
    const high = estimate + t * stdError;
    return {
      term: j < 0 ? "intercept" : REWARD_FEATURES[j],
      estimate,
      stdError,
      low,
      high,
      significant: low > 0 || high < 0,
    };
  });
  const byFeature = new Map(coefficients.map((c) => [c.term, c]));
  const time = byFeature.get("play_time_min");
  if (time === undefined || !(time.significant && time.estimate > 0)) {
    const fallback = fallbackFit(
      n,
      excluded,
      horizonDays,
      "the play-time coefficient is not significantly positive, so it cannot set the scale: using the fallback reward weights",
    );
    return { ...fallback, r2: fit.r2, coefficients };
  }
  const warnings: string[] = [];
  const weights = {} as Record<RewardFeature, number>;
  const sources = {} as Record<RewardFeature, WeightSource>;
  for (const feature of REWARD_FEATURES) {
    const c = byFeature.get(feature);
    if (c?.significant) {
      weights[feature] = c.estimate / time.estimate;
      sources[feature] = "fitted";
    } else {
      weights[feature] = FALLBACK_REWARD_WEIGHTS[feature];
      sources[feature] = "fallback";
      warnings.push(
        c === undefined
          ? `${feature} never varies in the data: fallback weight ${FALLBACK_REWARD_WEIGHTS[feature]}`
          : `${feature}: 95% interval [${c.low.toPrecision(3)}, ${c.high.toPrecision(3)}] covers 0: fallback weight ${FALLBACK_REWARD_WEIGHTS[feature]}`,
      );
    }
  }
  return {
    n,
    excluded,
    horizonDays,
    r2: fit.r2,
    coefficients,
    weights,
    sources,
    usedFallback: false,
    warnings,
  };
}

/** The SQL of one user-day's rate of each reward feature, as `rewardFeatures` defines them. */
const RATE_SQL: Readonly<Record<RewardFeature, string>> = {
  play_time_min: "avg(play_time_ms) / 60000.0",
  // LEAST is DuckDB / PostgreSQL / Spark / Trino; standard: CASE WHEN a < b THEN a ELSE b END.
  // Summed as DECIMAL (exact, so independent of the order DuckDB meets the rows in; a float sum
  // is not): the other rates sum integers, which doubles hold exactly.
  play_integrity:
    "avg(CAST(CASE WHEN duration_ms > 0 THEN LEAST(play_time_ms / duration_ms, 1.0) ELSE 0 END AS DECIMAL(18, 15)))",
  like: "avg(COALESCE(outcome_like, 0))",
  comment: "avg(COALESCE(outcome_comment, 0))",
  follow: "avg(COALESCE(outcome_follow, 0))",
  forward: "avg(COALESCE(outcome_forward, 0))",
  profile_enter: "avg(COALESCE(outcome_profile_enter, 0))",
  hate: "avg(COALESCE(outcome_hate, 0))",
  skip: `avg(COALESCE(outcome_skip, CASE WHEN play_time_ms < ${SKIP_THRESHOLD_MS} THEN 1 ELSE 0 END))`,
};

/** User-days with a complete horizon: rates [n x 9] (REWARD_FEATURES order) and future app minutes [n]. */
export interface UserDays {
  readonly n: number;
  readonly rates: Float64Array;
  readonly future: Float64Array;
  /** User-days whose horizon runs past the log's last day (left out). */
  readonly excluded: number;
}

/** Computes the user-days of the store's events (see the file header). */
export async function userDays(store: LogStore, options: FitRewardOptions = {}): Promise<UserDays> {
  const horizon = options.horizonDays ?? DEFAULT_HORIZON_DAYS;
  if (!(Number.isInteger(horizon) && horizon > 0)) {
    throw new MtfError("INVALID_ARGUMENT", `horizon must be a positive whole number of days, got ${horizon}`);
  }
  const offsetMs = (options.utcOffsetMinutes ?? 480) * 60_000;
  const [span] = await store.query<{ last_ms: number | null }>("SELECT max(ts_ms) AS last_ms FROM events");
  if (span.last_ms === null)
    return { n: 0, rates: new Float64Array(0), future: new Float64Array(0), excluded: 0 };
  const lastDay = Math.floor((Number(span.last_ms) + offsetMs) / DAY_MS);
  const rates = REWARD_FEATURES.map((f) => `CAST(${RATE_SQL[f]} AS DOUBLE) AS rate_${f}`).join(
    ",\n         ",
  );
  const rows = await store.query<Record<string, number>>(
    `WITH user_days AS (
       SELECT user_id, CAST(floor((ts_ms + ${offsetMs}) / ${DAY_MS}) AS BIGINT) AS day,
         sum(play_time_ms) / 60000.0 AS app_minutes,
         ${rates}
       FROM (SELECT user_id, ts_ms, CAST(play_time_ms AS DOUBLE) AS play_time_ms, CAST(duration_ms AS DOUBLE) AS duration_ms,
               outcome_like, outcome_comment, outcome_follow, outcome_forward, outcome_profile_enter, outcome_hate, outcome_skip
             FROM events) AS e
       GROUP BY 1, 2
     ),
     -- RANGE frames with numeric offsets: standard SQL:2011 (DuckDB, PostgreSQL 11+, Spark, Trino).
     with_future AS (
       SELECT d.*, COALESCE(sum(app_minutes) OVER (
         PARTITION BY user_id ORDER BY day RANGE BETWEEN 1 FOLLOWING AND ${horizon} FOLLOWING), 0) AS future_minutes
       FROM user_days AS d
     )
     SELECT ${REWARD_FEATURES.map((f) => `rate_${f}`).join(", ")}, CAST(future_minutes AS DOUBLE) AS future_minutes,
       CASE WHEN day + ${horizon} <= ${lastDay} THEN 1 ELSE 0 END AS complete
     FROM with_future ORDER BY user_id, day`,
  );
  const complete = rows.filter((r) => Number(r.complete) === 1);
  const n = complete.length;
  const x = new Float64Array(n * N_REWARD_FEATURES); // [n x 9]
  const y = new Float64Array(n);
  complete.forEach((r, i) => {
    for (let j = 0; j < N_REWARD_FEATURES; j++)
      x[i * N_REWARD_FEATURES + j] = Number(r[`rate_${REWARD_FEATURES[j]}`]);
    y[i] = Number(r.future_minutes);
  });
  return { n, rates: x, future: y, excluded: rows.length - n };
}

/** Fits the Eq. 2 weights on the store's events (see the file header). */
export async function fitRewardWeights(store: LogStore, options: FitRewardOptions = {}): Promise<RewardFit> {
  const days = await userDays(store, options);
  const horizon = options.horizonDays ?? DEFAULT_HORIZON_DAYS;
  return fitFromUserDays(days.rates, days.future, days.n, horizon, days.excluded);
}

// --- the run folder's weights file ---------------------------------------------------------

export interface RewardWeightsFile {
  readonly format: "mtf-reward-weights";
  readonly version: 1;
  /** The weights are the `default` preset's base; the other presets double a group of them. */
  readonly preset: "default";
  readonly weights: RewardWeights;
  readonly sources: Readonly<Record<RewardFeature, WeightSource>>;
  readonly usedFallback: boolean;
  readonly warnings: readonly string[];
  readonly fit: {
    readonly n: number;
    readonly excluded: number;
    readonly horizonDays: number;
    readonly r2: number | null;
    readonly coefficients: readonly Coefficient[];
  };
  readonly store: string;
  readonly createdAt: string;
}

/** Writes `<runDir>/reward-weights.json` atomically; returns its path. */
export function writeRewardWeightsFile(runDir: string, fit: RewardFit, store: string): string {
  const file = path.join(runDir, REWARD_WEIGHTS_FILE);
  const content: RewardWeightsFile = {
    format: "mtf-reward-weights",
    version: 1,
    preset: "default",
    weights: fit.weights,
    sources: fit.sources,
    usedFallback: fit.usedFallback,
    warnings: fit.warnings,
    fit: {
      n: fit.n,
      excluded: fit.excluded,
      horizonDays: fit.horizonDays,
      r2: fit.r2,
      coefficients: fit.coefficients,
    },
    store,
    createdAt: new Date().toISOString(),
  };
  fs.mkdirSync(runDir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(content, null, 2)}\n`);
  fs.renameSync(tmp, file);
  return file;
}

/** Reads `<runDir>/reward-weights.json`; null when the run has none. Refuses a malformed file. */
export function readRewardWeightsFile(
  runDir: string,
): { readonly path: string; readonly file: RewardWeightsFile } | null {
  const file = path.join(runDir, REWARD_WEIGHTS_FILE);
  if (!fs.existsSync(file)) return null;
  let content: Partial<RewardWeightsFile>;
  try {
    content = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<RewardWeightsFile>;
  } catch (error) {
    throw new MtfError("CHECKPOINT_CORRUPT", `${file} is not valid JSON; rerun mtf fit-reward`, {
      cause: error,
    });
  }
  const weights = content.weights as Record<string, unknown> | undefined;
  if (
    content.format !== "mtf-reward-weights" ||
    weights === undefined ||
    !REWARD_FEATURES.every((f) => typeof weights[f] === "number" && Number.isFinite(weights[f]))
  ) {
    throw new MtfError(
      "CHECKPOINT_CORRUPT",
      `${file} is not an mtf reward-weights file with a finite weight for each of ${REWARD_FEATURES.join(", ")}; rerun mtf fit-reward`,
    );
  }
  return { path: file, file: content as RewardWeightsFile };
}
