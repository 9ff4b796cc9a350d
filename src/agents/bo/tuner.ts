/**
 * The BO baseline online (paper Sec. 4.4.1): batch GP-UCB over one global action, evaluated in
 * rounds through an `Environment` (the simulator). A round:
 *
 *   1. ask the optimiser for q actions a_1…a_q (design first, then GP-BUCB; optimizer.ts);
 *   2. serve each a_j as a fixed-α policy to its own group of k fresh users for `days` days;
 *   3. score each group by the objective (ADTime by default; objective.ts) and tell the optimiser.
 *
 * Budget: E = ⌊budget / (k · days)⌋ evaluations, in ⌈E / q⌉ rounds (the last may be smaller).
 * When E would exceed `maxEvaluations`, k is raised to ⌈budget / (days · maxEvaluations)⌉.
 * The design starts from the behaviour policy's α (the production baseline), so the first
 * evaluation is the status quo. Round r runs the environment with seed derive(seed, "bo:round:r"),
 * so rounds draw fresh users; the optimiser's RNG and the round are checkpointed, so a resumed
 * run makes exactly the choices of an uninterrupted one.
 */
import { z } from "zod";
import {
  type AlphaBounds,
  actionToAlpha,
  alphaBounds,
  alphaToAction,
  DEFAULT_ALPHA_BOUNDS,
} from "../../core/action.js";
import { configHash } from "../../core/config.js";
import { MtfError } from "../../core/errors.js";
import { ACTION_DIM, type Environment, type PolicyGroup } from "../../core/interfaces.js";
import type { Metrics } from "../../core/metrics-logger.js";
import { deriveSeed } from "../../core/rng.js";
import { readCheckpoint, type Tensor, writeCheckpoint } from "../../nn/checkpoint.js";
import { alphaVector, BEHAVIOUR_ALPHA, FixedAlphaPolicy } from "../behaviour.js";
import { groupMetrics, objectiveValue } from "../common/objective.js";
import { candidatesAffordable, type OnlineTuner } from "../common/online-loop.js";
import type { BoPolicyContent } from "./artefact.js";
import { BO_RESUMABLE_FIELDS, type BoConfig, boConfigSchema } from "./config.js";
import { BayesOptimizer, type BoRecommendation } from "./optimizer.js";

/** Checkpoint kind of a BO run's state. */
export const BO_CHECKPOINT_KIND = "bo";

export interface BoTunerArgs {
  readonly config: BoConfig;
  readonly environment: Environment;
  /** State dimension the environment's policies receive. */
  readonly stateDim: number;
  readonly budgetUserDays: number;
  readonly seed: number;
  /** Fusion bounds of α (the root config's `fusion.alphaBounds`). */
  readonly bounds?: AlphaBounds;
  /** First design point (normalised action); default the behaviour policy's. */
  readonly startAction?: ArrayLike<number>;
}

/** How the budget is spent. */
export interface BoBudget {
  readonly budgetUserDays: number;
  /** k actually used (config's, or raised by `maxEvaluations`). */
  readonly usersPerCandidate: number;
  readonly daysPerEvaluation: number;
  /** E, evaluations in all. */
  readonly evaluations: number;
  readonly rounds: number;
}

/** The budget plan of a BO run (see the header); throws when the budget cannot pay one evaluation. */
export function boBudget(config: BoConfig, budgetUserDays: number): BoBudget {
  const days = config.daysPerEvaluation;
  candidatesAffordable(budgetUserDays, config.usersPerCandidate, days);
  const usersPerCandidate = Math.max(
    config.usersPerCandidate,
    Math.ceil(budgetUserDays / (days * config.maxEvaluations)),
  );
  const evaluations = candidatesAffordable(budgetUserDays, usersPerCandidate, days);
  if (evaluations < 1) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `a BO budget of ${budgetUserDays} user-days cannot pay one evaluation of ${usersPerCandidate} users x ${days} days; raise the budget or lower usersPerCandidate`,
      { details: { budgetUserDays, usersPerCandidate, days } },
    );
  }
  return {
    budgetUserDays,
    usersPerCandidate,
    daysPerEvaluation: days,
    evaluations,
    rounds: Math.ceil(evaluations / config.batchSize),
  };
}

const numbers = z.array(z.number());

/** The JSON config a BO checkpoint stores. */
const boCheckpointConfigSchema = z.strictObject({
  bo: boConfigSchema,
  seed: z.number().int().min(0),
  stateDim: z.number().int().positive(),
  budgetUserDays: z.number().int().positive(),
  usersPerCandidate: z.number().int().positive(),
  bounds: z.strictObject({ low: numbers, high: numbers }),
  startAction: numbers,
});
type BoCheckpointConfig = z.output<typeof boCheckpointConfigSchema>;

/** The behaviour policy's normalised action under `bounds`. */
export function behaviourAction(bounds: AlphaBounds): Float64Array {
  const action = new Float64Array(ACTION_DIM);
  alphaToAction(alphaVector(BEHAVIOUR_ALPHA), bounds, action);
  return action;
}

export class BoTuner implements OnlineTuner {
  readonly algorithm = "bo";
  readonly config: BoConfig;
  readonly budget: BoBudget;
  readonly stateDim: number;
  readonly bounds: AlphaBounds;
  readonly seed: number;
  private readonly environment: Environment;
  private readonly startAction: Float64Array;
  private readonly optimizer: BayesOptimizer;
  /** Per evaluation, in observation order. */
  private adTimes: number[] = [];
  private upiRates: number[] = [];
  private rounds = 0;

  constructor(args: BoTunerArgs, usersPerCandidate?: number) {
    this.config = args.config;
    this.bounds = args.bounds ?? DEFAULT_ALPHA_BOUNDS;
    const planned = boBudget(args.config, args.budgetUserDays);
    const k = usersPerCandidate ?? planned.usersPerCandidate;
    const evaluations = candidatesAffordable(args.budgetUserDays, k, planned.daysPerEvaluation);
    this.budget = {
      ...planned,
      usersPerCandidate: k,
      evaluations,
      rounds: Math.ceil(evaluations / args.config.batchSize),
    };
    this.stateDim = args.stateDim;
    this.seed = args.seed;
    this.environment = args.environment;
    this.startAction = Float64Array.from(args.startAction ?? behaviourAction(this.bounds));
    this.optimizer = new BayesOptimizer({
      dim: ACTION_DIM,
      config: args.config,
      seed: deriveSeed(args.seed, "bo:optimizer"),
      startPoints: [this.startAction],
    });
  }

  /** A tuner continuing the run checkpointed at `path`; `args` must describe the same run (the budget may grow). */
  static async resume(path: string, args: BoTunerArgs): Promise<BoTuner> {
    const checkpoint = await readCheckpoint(path, { expectedKind: BO_CHECKPOINT_KIND });
    const parsed = boCheckpointConfigSchema.safeParse(checkpoint.config);
    if (!parsed.success || checkpoint.rngState === null) {
      throw new MtfError("CHECKPOINT_CORRUPT", `${path}: not a valid BO run state`, { cause: parsed.error });
    }
    const stored = parsed.data;
    const tuner = new BoTuner(args, stored.usersPerCandidate);
    tuner.checkSameRun(stored, path);
    const tensor = (name: string): Float64Array => {
      const data = checkpoint.tensors[name]?.data;
      if (!(data instanceof Float64Array)) {
        throw new MtfError("CHECKPOINT_CORRUPT", `${path}: BO state lacks the float64 tensor "${name}"`);
      }
      return data;
    };
    const y = tensor("observations.y");
    tuner.optimizer.importState({
      x: tensor("observations.x"),
      y,
      logParams: checkpoint.tensors["gp.log_params"] ? tensor("gp.log_params") : null,
      rngState: checkpoint.rngState,
    });
    tuner.adTimes = Array.from(tensor("observations.ad_time_s"));
    tuner.upiRates = Array.from(tensor("observations.upi_rate"));
    if (tuner.adTimes.length !== y.length || tuner.upiRates.length !== y.length) {
      throw new MtfError("CHECKPOINT_CORRUPT", `${path}: BO observation tensors differ in length`);
    }
    if (y.length > tuner.budget.evaluations) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `${path} already made ${y.length} evaluations, more than the budget of ${args.budgetUserDays} user-days pays for (${tuner.budget.evaluations})`,
      );
    }
    tuner.rounds = checkpoint.step;
    return tuner;
  }

  get round(): number {
    return this.rounds;
  }

  get totalRounds(): number {
    return this.budget.rounds;
  }

  get budgetUserDays(): number {
    return this.budget.budgetUserDays;
  }

  get evaluations(): number {
    return this.optimizer.size;
  }

  get userDaysUsed(): number {
    return this.optimizer.size * this.budget.usersPerCandidate * this.budget.daysPerEvaluation;
  }

  async runRound(): Promise<Metrics> {
    const q = Math.min(this.config.batchSize, this.budget.evaluations - this.optimizer.size);
    if (q < 1) throw new MtfError("INVALID_ARGUMENT", "the BO budget is spent");
    const proposal = this.optimizer.ask(q);
    const k = this.budget.usersPerCandidate;
    const days = this.budget.daysPerEvaluation;
    const groups: PolicyGroup[] = proposal.points.map((action, j) => ({
      policy: this.policyFor(action, `bo:r${this.rounds}:c${j}`),
      users: k,
    }));
    const outcomes = await this.environment.run(groups, {
      days,
      seed: deriveSeed(this.seed, `bo:round:${this.rounds}`),
    });
    if (outcomes.length !== groups.length) {
      throw new MtfError(
        "RESULT_INVALID",
        `the environment returned ${outcomes.length} groups for ${groups.length}`,
      );
    }
    const metrics = outcomes.map((outcome) => groupMetrics(outcome, k, days));
    const values = metrics.map((m) => objectiveValue(m, this.config.objective));
    this.optimizer.tell(proposal.points, values);
    this.adTimes.push(...metrics.map((m) => m.adTimeS));
    this.upiRates.push(...metrics.map((m) => m.upiRate));
    this.rounds += 1;
    const best = this.recommendation();
    return {
      "objective/round_mean": values.reduce((a, b) => a + b, 0) / values.length,
      "objective/round_max": Math.max(...values),
      "objective/best_observed": Math.max(...this.optimizer.observations().y),
      "objective/recommended_mean": best.mean,
      "recommended/ad_time_s": this.adTimes[best.index],
      "recommended/upi_rate": this.upiRates[best.index],
      "adtime/round_mean": metrics.reduce((a, m) => a + m.adTimeS, 0) / metrics.length,
      "upirate/round_mean": metrics.reduce((a, m) => a + m.upiRate, 0) / metrics.length,
      "budget/evaluations": this.optimizer.size,
      "budget/design_points": proposal.sources.filter((s) => s === "design").length,
      ...proposal.diagnostics,
    };
  }

  /** The observed action of highest posterior mean (optimizer.ts) and its α. */
  recommendation(): BoRecommendation & { readonly alpha: Float64Array } {
    const best = this.optimizer.recommend();
    const alpha = new Float64Array(ACTION_DIM);
    actionToAlpha(best.x, this.bounds, alpha);
    return { ...best, alpha };
  }

  /** What `saveBoPolicy` writes: the recommended action and the run's figures. */
  policyContent(): BoPolicyContent {
    const best = this.recommendation();
    return {
      action: best.x,
      bounds: this.bounds,
      stateDim: this.stateDim,
      objective: this.config.objective,
      posteriorMean: best.mean,
      evaluations: this.optimizer.size,
      userDaysUsed: this.userDaysUsed,
    };
  }

  /** The tuned policy: the recommended α for every state. */
  policy(id = "bo"): FixedAlphaPolicy {
    return this.policyFor(this.recommendation().x, id);
  }

  async saveCheckpoint(path: string): Promise<void> {
    const state = this.optimizer.exportState();
    const n = state.y.length;
    const tensors: Record<string, Tensor> = {
      "observations.x": { data: state.x, shape: [n, ACTION_DIM] },
      "observations.y": { data: state.y, shape: [n] },
      "observations.ad_time_s": { data: Float64Array.from(this.adTimes), shape: [n] },
      "observations.upi_rate": { data: Float64Array.from(this.upiRates), shape: [n] },
    };
    if (state.logParams !== null)
      tensors["gp.log_params"] = { data: state.logParams, shape: [state.logParams.length] };
    const config: BoCheckpointConfig = {
      bo: this.config,
      seed: this.seed,
      stateDim: this.stateDim,
      budgetUserDays: this.budget.budgetUserDays,
      usersPerCandidate: this.budget.usersPerCandidate,
      bounds: { low: [...this.bounds.low], high: [...this.bounds.high] },
      startAction: Array.from(this.startAction),
    };
    await writeCheckpoint(path, {
      kind: BO_CHECKPOINT_KIND,
      config,
      tensors,
      step: this.rounds,
      rngState: state.rngState,
      metadata: { userDaysUsed: this.userDaysUsed, evaluations: n },
    });
  }

  private policyFor(action: ArrayLike<number>, id: string): FixedAlphaPolicy {
    const alpha = new Float64Array(ACTION_DIM);
    actionToAlpha(action, this.bounds, alpha);
    return new FixedAlphaPolicy(id, this.stateDim, alpha, this.bounds);
  }

  private checkSameRun(stored: BoCheckpointConfig, path: string): void {
    const strip = (config: BoConfig) =>
      configHash(
        Object.fromEntries(
          Object.entries(config).filter(([key]) => !BO_RESUMABLE_FIELDS.includes(key as keyof BoConfig)),
        ),
      );
    const mismatches: string[] = [];
    if (strip(stored.bo) !== strip(this.config)) mismatches.push("the bo config");
    if (stored.seed !== this.seed) mismatches.push(`the seed (${stored.seed} there, ${this.seed} here)`);
    if (stored.stateDim !== this.stateDim)
      mismatches.push(`the state dimension (${stored.stateDim} vs ${this.stateDim})`);
    const bounds = alphaBounds(stored.bounds.low, stored.bounds.high);
    if (JSON.stringify(bounds) !== JSON.stringify(this.bounds)) mismatches.push("the α bounds");
    if (stored.startAction.join(",") !== Array.from(this.startAction).join(","))
      mismatches.push("the start action");
    if (mismatches.length > 0) {
      throw new MtfError(
        "INVALID_CONFIG",
        `cannot resume ${path}: it was run with different ${mismatches.join(", ")}; resume with the original config and seed (only the budget and checkpointEvery may change)`,
        { details: { mismatches } },
      );
    }
  }
}
