/**
 * V̂(π_e) of Eq. 9 for one policy at one or more α, each fitted with one or more seeds.
 *
 * Per α and seed, a `ConservativeOpe` is fitted for K iterations; then every initial state of
 * the testing batch (Alg. 2 line 9; the same batch for every α and seed) gets
 * v_i = E_{a~π_e(·|s⁰_i)} Q̂(s⁰_i, a). Per α the report holds:
 *   - V̂ = mean over sessions of v_i averaged over seeds (= the mean of the per-seed V̂),
 *   - a bootstrap interval over SESSIONS of that mean: it covers which sessions D happened to
 *     hold, not the variance of fitting Q̂,
 *   - the per-seed V̂ and their spread: the variance of fitting Q̂ (initialisation and batches;
 *     the precomputed decisions of a stochastic π_e are shared by all seeds).
 * α = 0 is plain FQE. Seed i of every α starts from the same initialisation and batch stream.
 */
import { MetricsLogger } from "../core/metrics-logger.js";
import { Rng } from "../core/rng.js";
import type { Kernels } from "../nn/kernels.js";
import type { OpeOptions } from "./config.js";
import type { OpeData } from "./data.js";
import type { PolicyDecisions } from "./decisions.js";
import { ConservativeOpe } from "./estimator.js";
import {
  bootstrapInterval,
  conservativeValue,
  type Interval,
  type Spread,
  sampleInitialStates,
  spread,
} from "./value.js";

/** Which fit a callback is about. */
export interface FitId {
  readonly alpha: number;
  readonly seedIndex: number;
  /** 0-based position among all fits of the run, and their number. */
  readonly fitIndex: number;
  readonly fits: number;
}

export interface EstimateRun {
  /** Penalty weights α to fit, each separately (0 = FQE). */
  readonly alphas: readonly number[];
  /** Fits per α (`--seeds k`). */
  readonly seeds: number;
  /** Root seed: fits, the testing batch and the bootstrap derive their streams from it. */
  readonly seed: number;
  /** Receives every iteration's metrics, flushed every `logEvery` iterations with `fit/alpha`, `fit/seed`. */
  readonly logger?: MetricsLogger;
  /** Default 100. */
  readonly logEvery?: number;
  /** Called after every iteration (for progress bars). */
  readonly onIteration?: (fit: FitId, iteration: number, metrics: Readonly<Record<string, number>>) => void;
  /** Called with each fitted estimator (e.g. to save it) before its values are read. */
  readonly onFitted?: (fit: FitId, estimator: ConservativeOpe) => Promise<void> | void;
  readonly kernels?: Kernels;
}

export interface PolicyEstimate {
  readonly alpha: number;
  /** V̂(π_e) of Eq. 9, averaged over seeds. */
  readonly value: number;
  /** Bootstrap interval over sessions (session sampling only, not Q̂-fitting variance). */
  readonly interval: Interval;
  /** V̂ of each seed's fit. */
  readonly seedValues: readonly number[];
  /** Spread of `seedValues`: the variance of fitting Q̂. */
  readonly seedSpread: Spread;
  /** n, the initial states averaged over. */
  readonly initialStates: number;
  /** Metrics averaged over the last `logEvery` iterations, then over seeds. */
  readonly finalMetrics: Readonly<Record<string, number>>;
}

function averageRecords(records: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(records[0] ?? {})) {
    out[key] = records.reduce((sum, r) => sum + (r[key] ?? Number.NaN), 0) / records.length;
  }
  return out;
}

/** Fits π_e's value on D at every α of `run` with `run.seeds` seeds each; see the file header. */
export async function estimatePolicyValue(
  data: OpeData,
  decisions: PolicyDecisions,
  options: OpeOptions,
  run: EstimateRun,
): Promise<PolicyEstimate[]> {
  const root = new Rng(run.seed);
  const logEvery = run.logEvery ?? 100;
  const logger = run.logger ?? new MetricsLogger();
  const initial = sampleInitialStates(
    data.initialStateIndex,
    options.initialStates,
    root.derive("initial-states"),
  );
  const fits = run.alphas.length * run.seeds;
  const estimates: PolicyEstimate[] = [];
  for (const [a, alpha] of run.alphas.entries()) {
    const perSession = new Float64Array(initial.length);
    const seedValues: number[] = [];
    const finals: Record<string, number>[] = [];
    for (let seedIndex = 0; seedIndex < run.seeds; seedIndex++) {
      const fit: FitId = { alpha, seedIndex, fitIndex: a * run.seeds + seedIndex, fits };
      const estimator = new ConservativeOpe(
        { data, decisions, options: { ...options, alpha }, kernels: run.kernels },
        root.derive(`fit/${seedIndex}`),
      );
      const tag = { "fit/alpha": alpha, "fit/seed": seedIndex };
      let last: Readonly<Record<string, number>> = {};
      estimator.fit((iteration, metrics) => {
        logger.add(metrics);
        if (iteration % logEvery === 0 || iteration === options.iterations) {
          const record = logger.flush(iteration, tag);
          if (record !== null) last = record.metrics;
        }
        run.onIteration?.(fit, iteration, metrics);
      });
      await run.onFitted?.(fit, estimator);
      const values = estimator.policyValues(initial);
      for (let i = 0; i < values.length; i++) perSession[i] += values[i] / run.seeds;
      seedValues.push(conservativeValue(values));
      finals.push(Object.fromEntries(Object.entries(last).filter(([key]) => !key.startsWith("fit/"))));
    }
    estimates.push({
      alpha,
      value: conservativeValue(perSession),
      interval: bootstrapInterval(
        perSession,
        options.bootstrapResamples,
        options.confidence,
        root.derive(`bootstrap/${alpha}`),
      ),
      seedValues,
      seedSpread: spread(seedValues),
      initialStates: initial.length,
      finalMetrics: averageRecords(finals),
    });
  }
  return estimates;
}
