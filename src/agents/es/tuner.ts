/**
 * The ES baseline online (paper Sec. 4.4.1): a state → action network trained by natural
 * evolution strategies through an `Environment` (the simulator). A generation:
 *
 *   1. freeze the state normaliser z from the running moments of all states seen so far;
 *   2. draw n directions and serve each of the 2n antithetic candidates θ ± σε_i to its own group
 *      of k fresh users for `days` days, recording every state the candidates see;
 *   3. score each group by the objective (ADTime by default; common/objective.ts) and update θ
 *      (strategy.ts).
 *
 * Budget: G = ⌊budget / (2n · k · days)⌋ whole generations (leftover user-days stay unspent).
 * The network starts as the behaviour policy (policy.ts), so generation 0 searches around the
 * production baseline. Generation g runs the environment with seed derive(seed, "es:gen:g"); the
 * strategy's RNG, Adam, the moments and θ are checkpointed, so a resumed run is bit-identical.
 */
import { z } from "zod";
import { type AlphaBounds, DEFAULT_ALPHA_BOUNDS } from "../../core/action.js";
import { configHash } from "../../core/config.js";
import { MtfError } from "../../core/errors.js";
import { ACTION_DIM, type Environment, type Policy, type PolicyGroup } from "../../core/interfaces.js";
import type { Metrics } from "../../core/metrics-logger.js";
import { deriveSeed, Rng } from "../../core/rng.js";
import type { Kernels } from "../../nn/kernels.js";
import type { Mlp } from "../../nn/mlp.js";
import { behaviourAction } from "../bo/tuner.js";
import { readAgentCheckpoint, restoreAgentState, saveAgentCheckpoint } from "../common/checkpoint.js";
import { groupMetrics, objectiveValue } from "../common/objective.js";
import { candidatesAffordable, type OnlineTuner } from "../common/online-loop.js";
import { ES_RESUMABLE_FIELDS, type EsConfig, esConfigSchema } from "./config.js";
import { createEsNetwork, EsPolicy } from "./policy.js";
import { type MomentsState, RunningMoments } from "./running-moments.js";
import { EvolutionStrategy } from "./strategy.js";

/** Checkpoint kind of an ES run's state. */
export const ES_CHECKPOINT_KIND = "es";

const NETWORK = "policy";

export interface EsTunerArgs {
  readonly config: EsConfig;
  readonly environment: Environment;
  readonly stateDim: number;
  readonly budgetUserDays: number;
  readonly seed: number;
  /** Fusion bounds of α, for the default start action. */
  readonly bounds?: AlphaBounds;
  /** The initial policy's action (normalised); default the behaviour policy's. */
  readonly startAction?: ArrayLike<number>;
  readonly kernels?: Kernels;
}

export interface EsBudget {
  readonly budgetUserDays: number;
  readonly usersPerCandidate: number;
  readonly daysPerEvaluation: number;
  /** 2n */
  readonly populationSize: number;
  /** G, whole generations the budget pays for. */
  readonly generations: number;
}

/** The budget plan of an ES run (see the header); throws when it cannot pay one generation. */
export function esBudget(config: EsConfig, budgetUserDays: number): EsBudget {
  const populationSize = 2 * config.pairs;
  const days = config.daysPerEvaluation;
  const generations = Math.floor(
    candidatesAffordable(budgetUserDays, config.usersPerCandidate, days) / populationSize,
  );
  if (generations < 1) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `an ES budget of ${budgetUserDays} user-days cannot pay one generation of ${populationSize} candidates x ${config.usersPerCandidate} users x ${days} days (${populationSize * config.usersPerCandidate * days} user-days); raise the budget or lower pairs / usersPerCandidate`,
      { details: { budgetUserDays, populationSize, usersPerCandidate: config.usersPerCandidate, days } },
    );
  }
  return {
    budgetUserDays,
    usersPerCandidate: config.usersPerCandidate,
    daysPerEvaluation: days,
    populationSize,
    generations,
  };
}

const esCheckpointConfigSchema = z.strictObject({
  es: esConfigSchema,
  seed: z.number().int().min(0),
  stateDim: z.number().int().positive(),
  budgetUserDays: z.number().int().positive(),
  startAction: z.array(z.number()).length(ACTION_DIM),
});
type EsCheckpointConfig = z.output<typeof esCheckpointConfigSchema>;

const metadataSchema = z.object({
  moments: z.strictObject({
    count: z.number().int().min(0),
    mean: z.array(z.number()),
    m2: z.array(z.number()),
  }),
  bestObserved: z.number().nullable(),
});

export class EsTuner implements OnlineTuner {
  readonly algorithm = "es";
  readonly config: EsConfig;
  readonly budget: EsBudget;
  readonly stateDim: number;
  readonly seed: number;
  /** θ, the centre of the search distribution. */
  readonly network: Mlp;
  private readonly environment: Environment;
  private readonly startAction: Float64Array;
  private readonly strategy: EvolutionStrategy;
  private readonly moments: RunningMoments;
  /** One network per candidate, reused every generation. */
  private readonly workers: readonly Mlp[];
  private generations = 0;
  private bestObserved: number | null = null;

  constructor(args: EsTunerArgs) {
    this.config = args.config;
    this.budget = esBudget(args.config, args.budgetUserDays);
    this.stateDim = args.stateDim;
    this.seed = args.seed;
    this.environment = args.environment;
    this.startAction = Float64Array.from(
      args.startAction ?? behaviourAction(args.bounds ?? DEFAULT_ALPHA_BOUNDS),
    );
    const networkArgs = {
      stateDim: args.stateDim,
      hidden: args.config.hidden,
      startAction: this.startAction,
      ...(args.kernels ? { kernels: args.kernels } : {}),
    };
    this.network = createEsNetwork(networkArgs, new Rng(deriveSeed(args.seed, "es:init")));
    // Worker parameters are overwritten before every use, so their init seed does not matter.
    this.workers = Array.from({ length: this.budget.populationSize }, () =>
      createEsNetwork(networkArgs, new Rng(0)),
    );
    this.strategy = new EvolutionStrategy({
      target: this.network,
      pairs: args.config.pairs,
      sigma: args.config.sigma,
      lr: args.config.lr,
      l2: args.config.l2,
      seed: deriveSeed(args.seed, "es:noise"),
    });
    this.moments = new RunningMoments(args.stateDim);
  }

  /** A tuner continuing the run checkpointed at `path`; `args` must describe the same run (the budget may grow). */
  static async resume(path: string, args: EsTunerArgs): Promise<EsTuner> {
    const checkpoint = await readAgentCheckpoint(path, ES_CHECKPOINT_KIND);
    const parsed = esCheckpointConfigSchema.safeParse(checkpoint.config);
    const metadata = metadataSchema.safeParse(checkpoint.metadata);
    if (!parsed.success || !metadata.success || checkpoint.rngState === null) {
      throw new MtfError("CHECKPOINT_CORRUPT", `${path}: not a valid ES run state`, {
        cause: parsed.error ?? metadata.error,
      });
    }
    const tuner = new EsTuner(args);
    tuner.checkSameRun(parsed.data, path);
    restoreAgentState(checkpoint, { [NETWORK]: tuner.network }, { [NETWORK]: tuner.strategy.adam });
    tuner.strategy.restoreRng(checkpoint.rngState);
    tuner.moments.importState(metadata.data.moments as MomentsState);
    tuner.bestObserved = metadata.data.bestObserved;
    if (checkpoint.step > tuner.budget.generations) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `${path} already ran ${checkpoint.step} generations, more than the budget of ${args.budgetUserDays} user-days pays for (${tuner.budget.generations})`,
      );
    }
    tuner.generations = checkpoint.step;
    return tuner;
  }

  get round(): number {
    return this.generations;
  }

  get totalRounds(): number {
    return this.budget.generations;
  }

  get budgetUserDays(): number {
    return this.budget.budgetUserDays;
  }

  get userDaysUsed(): number {
    const b = this.budget;
    return this.generations * b.populationSize * b.usersPerCandidate * b.daysPerEvaluation;
  }

  async runRound(): Promise<Metrics> {
    if (this.generations >= this.budget.generations)
      throw new MtfError("INVALID_ARGUMENT", "the ES budget is spent");
    const { usersPerCandidate: k, daysPerEvaluation: days, populationSize } = this.budget;
    const normaliser = this.moments.toNormaliser(this.config.normaliserMinStd);
    const statesBefore = this.moments.size;
    this.strategy.ask();
    const groups: PolicyGroup[] = this.workers.map((worker, j) => {
      this.strategy.candidate(j, worker.params);
      const policy = new EsPolicy({
        id: `es:g${this.generations}:c${j}`,
        network: worker,
        normaliser,
        observationClip: this.config.observationClip,
      });
      return { policy: this.recording(policy), users: k };
    });
    const outcomes = await this.environment.run(groups, {
      days,
      seed: deriveSeed(this.seed, `es:gen:${this.generations}`),
    });
    if (outcomes.length !== populationSize) {
      throw new MtfError(
        "RESULT_INVALID",
        `the environment returned ${outcomes.length} groups for ${populationSize}`,
      );
    }
    const metrics = outcomes.map((outcome) => groupMetrics(outcome, k, days));
    const fitness = metrics.map((m) => objectiveValue(m, this.config.objective));
    const update = this.strategy.tell(fitness);
    this.generations += 1;
    const max = Math.max(...fitness);
    this.bestObserved = this.bestObserved === null ? max : Math.max(this.bestObserved, max);
    const mean = fitness.reduce((a, b) => a + b, 0) / populationSize;
    return {
      "fitness/mean": mean,
      "fitness/max": max,
      "fitness/min": Math.min(...fitness),
      "fitness/std": Math.sqrt(fitness.reduce((a, f) => a + (f - mean) ** 2, 0) / populationSize),
      "objective/best_observed": this.bestObserved,
      "adtime/mean": metrics.reduce((a, m) => a + m.adTimeS, 0) / populationSize,
      "upirate/mean": metrics.reduce((a, m) => a + m.upiRate, 0) / populationSize,
      "normaliser/states": this.moments.size - statesBefore,
      "budget/evaluations": this.generations * populationSize,
      ...update,
    };
  }

  /** The tuned policy: θ with the normaliser estimated from every state seen. */
  policy(id = "es"): EsPolicy {
    return new EsPolicy({
      id,
      network: this.network,
      normaliser: this.moments.toNormaliser(this.config.normaliserMinStd),
      observationClip: this.config.observationClip,
    });
  }

  async saveCheckpoint(path: string): Promise<void> {
    const config: EsCheckpointConfig = {
      es: this.config,
      seed: this.seed,
      stateDim: this.stateDim,
      budgetUserDays: this.budget.budgetUserDays,
      startAction: Array.from(this.startAction),
    };
    await saveAgentCheckpoint(path, {
      kind: ES_CHECKPOINT_KIND,
      config,
      networks: { [NETWORK]: this.network },
      optimisers: { [NETWORK]: this.strategy.adam },
      normaliser: this.moments.toNormaliser(this.config.normaliserMinStd),
      step: this.generations,
      rngState: this.strategy.rngState(),
      metadata: {
        moments: this.moments.exportState(),
        bestObserved: this.bestObserved,
        userDaysUsed: this.userDaysUsed,
      },
    });
  }

  /** `policy` with every state it is asked about added to the running moments. */
  private recording(policy: EsPolicy): Policy {
    const moments = this.moments;
    return {
      id: policy.id,
      stateDim: policy.stateDim,
      stochastic: false,
      act(states, rows, out, rng) {
        moments.add(states, rows);
        policy.act(states, rows, out, rng);
      },
    };
  }

  private checkSameRun(stored: EsCheckpointConfig, path: string): void {
    const strip = (config: EsConfig) =>
      configHash(
        Object.fromEntries(
          Object.entries(config).filter(([key]) => !ES_RESUMABLE_FIELDS.includes(key as keyof EsConfig)),
        ),
      );
    const mismatches: string[] = [];
    if (strip(stored.es) !== strip(this.config)) mismatches.push("the es config");
    if (stored.seed !== this.seed) mismatches.push(`the seed (${stored.seed} there, ${this.seed} here)`);
    if (stored.stateDim !== this.stateDim)
      mismatches.push(`the state dimension (${stored.stateDim} vs ${this.stateDim})`);
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
