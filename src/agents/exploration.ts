/**
 * Online exploration (paper Sec. 3.3; DESIGN.md "Exploration"). All noise lives in the
 * normalised action space [-1, 1]^12 and results are clipped to it.
 *
 * - Random exploration: a ~ N(a_baseline, σ_r² I), clipped — Gaussian around the behaviour
 *   baseline, σ_r configurable.
 * - Action-noise exploration, Eq. 8: π_ep(s) = π*_t(s) + N(0, 0.1²), clipped; 0.1 is a standard
 *   deviation (DESIGN.md errata).
 * - Mixed Multi-Exploration: a share of users is explored, split equally between the two groups;
 *   the rest is served by the target policy. Users are assigned by a stable salted hash of
 *   (layer salt, user id), so the layer is orthogonal to experiment arms (another salt).
 *
 * Both exploration policies are stochastic: they draw only from the `Rng` they are given, which the
 * caller seeds per request (the logged decision seed), so every explored action replays.
 */
import { z } from "zod";
import { clipAction } from "../core/action.js";
import { configSection } from "../core/config.js";
import { MtfError } from "../core/errors.js";
import type { ExplorationGroup } from "../core/events.js";
import type { Policy } from "../core/interfaces.js";
import { deriveSeed, hashString32, type Rng } from "../core/rng.js";
import { N_TASKS } from "../core/tasks.js";

export const EXPLORATION_MODES = ["mixed", "random", "none"] as const;
export type ExplorationMode = (typeof EXPLORATION_MODES)[number];

export const explorationConfigSection = configSection({
  mode: z
    .enum(EXPLORATION_MODES)
    .default("mixed")
    .describe("mixed: explored users split between random and action-noise; random: random only; none"),
  share: z
    .number()
    .gt(0)
    .max(1)
    .default(0.2)
    .describe(
      "[assumption] share of users in the exploration layer (the rest is served by the target policy)",
    ),
  randomSigma: z
    .number()
    .positive()
    .default(0.4)
    .describe("[assumption] σ of random exploration around the baseline, normalised action space"),
  actionNoiseSigma: z
    .number()
    .positive()
    .default(0.1)
    .describe("σ of action-noise exploration, Eq. 8: N(0, 0.1²) (0.1 is a standard deviation)"),
  salt: z.string().min(1).default("exploration").describe("salt of the exploration layer's user hash"),
});
export type ExplorationConfig = z.output<typeof explorationConfigSection>;

const TWO_POW_32 = 4294967296;

/** A stable uniform number in [0, 1) for (layer salt, user id). */
export function saltedUnit(salt: string, userId: string): number {
  return deriveSeed(hashString32(salt), userId) / TWO_POW_32;
}

function checkSigma(sigma: number): void {
  if (!(Number.isFinite(sigma) && sigma > 0)) {
    throw new MtfError("INVALID_ARGUMENT", `exploration σ must be a positive number, got ${sigma}`);
  }
}

/** Adds σ·N(0, 1) to every value of `out[0 .. rows*12)` and clips to [-1, 1]. */
function perturb(out: Float32Array, rows: number, sigma: number, rng: Rng): void {
  const n = rows * N_TASKS;
  for (let j = 0; j < n; j++) out[j] += sigma * rng.normal();
  clipAction(out.subarray(0, n), out);
}

/** Random exploration: Gaussian around a fixed baseline action, clipped. */
export class RandomExploration implements Policy {
  readonly id: string;
  readonly stateDim: number;
  readonly stochastic = true;
  readonly sigma: number;
  private readonly center: Float32Array;

  constructor(baseline: Float32Array, stateDim: number, sigma: number) {
    checkSigma(sigma);
    if (baseline.length !== N_TASKS) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `the baseline action needs ${N_TASKS} values, got ${baseline.length}`,
      );
    }
    this.id = `random-exploration(sigma=${sigma})`;
    this.stateDim = stateDim;
    this.sigma = sigma;
    this.center = Float32Array.from(baseline);
  }

  act(_states: Float32Array, rows: number, out: Float32Array, rng: Rng): void {
    for (let r = 0; r < rows; r++) out.set(this.center, r * N_TASKS);
    perturb(out, rows, this.sigma, rng);
  }
}

/** Action-noise exploration, Eq. 8: the target's action plus N(0, σ²), clipped. */
export class ActionNoiseExploration implements Policy {
  readonly id: string;
  readonly stateDim: number;
  readonly stochastic = true;
  readonly sigma: number;
  readonly target: Policy;

  constructor(target: Policy, sigma: number) {
    checkSigma(sigma);
    this.id = `action-noise(${target.id},sigma=${sigma})`;
    this.stateDim = target.stateDim;
    this.sigma = sigma;
    this.target = target;
  }

  act(states: Float32Array, rows: number, out: Float32Array, rng: Rng): void {
    this.target.act(states, rows, out, rng);
    perturb(out, rows, this.sigma, rng);
  }
}

/** Who serves a user under an exploration layer, and what each event logs about it. */
export interface ExplorationAssignment {
  readonly policy: Policy;
  readonly group: ExplorationGroup;
  readonly noiseScale: number | null;
}

/**
 * The exploration layer: assigns each user to `random`, `action_noise` or `target` by the salted
 * hash. Mixed: units in [0, share/2) explore randomly, [share/2, share) with action noise.
 * Random: units in [0, share) explore randomly. None: everyone is `none` (no layer).
 */
export class ExplorationLayer {
  readonly config: ExplorationConfig;
  private readonly target: ExplorationAssignment;
  private readonly random: ExplorationAssignment;
  private readonly actionNoise: ExplorationAssignment;
  private readonly none: ExplorationAssignment;

  /** `target`: the current target policy; `baseline`: the behaviour action random exploration centres on. */
  constructor(config: ExplorationConfig, target: Policy, baseline: Float32Array) {
    this.config = config;
    this.target = { policy: target, group: "target", noiseScale: null };
    this.none = { policy: target, group: "none", noiseScale: null };
    const random = new RandomExploration(baseline, target.stateDim, config.randomSigma);
    this.random = { policy: random, group: "random", noiseScale: config.randomSigma };
    const noisy = new ActionNoiseExploration(target, config.actionNoiseSigma);
    this.actionNoise = { policy: noisy, group: "action_noise", noiseScale: config.actionNoiseSigma };
  }

  assign(userId: string): ExplorationAssignment {
    const { mode, share, salt } = this.config;
    if (mode === "none") return this.none;
    const unit = saltedUnit(salt, userId);
    if (mode === "random") return unit < share ? this.random : this.target;
    if (unit < share / 2) return this.random;
    return unit < share ? this.actionNoise : this.target;
  }
}
