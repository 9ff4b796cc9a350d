/**
 * One BCQ training step's pieces (paper Algorithm 1, Eq. 3 and 5-7), run through the networks
 * on a preallocated workspace. Each function computes its loss and leaves the gradients in the
 * networks' `grads` (the optimiser step is the trainer's), or fills the target y; each returns
 * namespaced metrics. The random draws (ε, latents) are already in the workspace, so the same
 * functions serve the trainer, the hand-computed tests and the float64 gradient checks.
 *
 * Shapes: S state, A action, Z latent, M batch rows, n sampled actions per next state.
 */
import type { Metrics } from "../../core/metrics-logger.js";
import type { NumArray } from "../../nn/kernels.js";
import type { Mlp } from "../../nn/mlp.js";
import { allocate, type DType } from "../../nn/tensor.js";
import { concatColumns, getColumns, meanStd } from "../common/batch.js";
import { RepeatedStateForward } from "../common/repeated-state.js";
import { bootstrapTarget, maxOverSamples, softClippedDoubleQ } from "../common/targets.js";
import type { BcqDims } from "./config.js";
import {
  actionStats,
  actorLoss,
  criticLoss,
  perturb,
  perturbBackward,
  type VaeLatentBuffers,
  vaeLatentBackward,
  vaeLatents,
  vaeLoss,
} from "./math.js";
import type { BcqNetworks } from "./networks.js";

/** Every buffer one training step touches, allocated once (no per-step allocation). */
export interface BcqWorkspace {
  readonly rows: number;
  readonly samples: number;
  // The batch, states normalised.
  /** [M, S] s */
  readonly states: NumArray;
  /** [M, A] a */
  readonly actions: NumArray;
  /** [M] r */
  readonly rewards: NumArray;
  /** [M, S] s' */
  readonly nextStates: NumArray;
  /** [M] 1 where the session ended (no bootstrap) */
  readonly terminated: NumArray;
  // Eq. 3
  /** [M, S+A] [s, a] */
  readonly encoderIn: NumArray;
  readonly latents: VaeLatentBuffers;
  /** [M, S+Z] [s, z] */
  readonly decoderIn: NumArray;
  /** [M, A] */
  readonly dRecon: NumArray;
  /** [M, Z] */
  readonly dLatent: NumArray;
  /** [M, Z] */
  readonly dMean: NumArray;
  /** [M, Z] */
  readonly dLogStd: NumArray;
  /** [M, 2Z] */
  readonly dEncoderOut: NumArray;
  // Eq. 7 (Alg. 1 lines 6-7)
  /**
   * The decoder, P_ω' and both Q' over [s', ·] rows with each s' repeated n times: the first
   * layer's s' part is computed once per next state (common/repeated-state.ts).
   */
  readonly targetForwards: {
    readonly decoder: RepeatedStateForward;
    readonly actorTarget: RepeatedStateForward;
    readonly critic1Target: RepeatedStateForward;
    readonly critic2Target: RepeatedStateForward;
  };
  /** [M*n, Z] clipped prior latents for the next states */
  readonly targetLatents: NumArray;
  /** [M*n, A] â' ~ G_θ(s') */
  readonly targetSampled: NumArray;
  /** [M*n, A] a' = â' + P_ω'(s', â', ρ) */
  readonly targetPerturbed: NumArray;
  /** [M*n] Q'_1, Q'_2, then λ·min + (1−λ)·max */
  readonly targetQ1: NumArray;
  readonly targetQ2: NumArray;
  readonly targetSoft: NumArray;
  /** [M] max over the n samples */
  readonly nextValue: NumArray;
  /** [M] y of Eq. 7 */
  readonly y: NumArray;
  // Eq. 5
  /** [M, Z] clipped prior latents for the states */
  readonly actorLatents: NumArray;
  /** [M, S+Z] */
  readonly actorDecoderIn: NumArray;
  /** [M, A] â ~ G_θ(s) */
  readonly actorSampled: NumArray;
  /** [M, S+A] [s, â] then [s, â + P_ω] */
  readonly actorStateAction: NumArray;
  /** [M, A] â + P_ω(s, â, ρ) */
  readonly actorPerturbed: NumArray;
  /** [M, A] tanh output of P_ω (kept for the backward) */
  readonly actorRaw: NumArray;
  /** [M] */
  readonly dActorQ: NumArray;
  /** [M, A] */
  readonly dPerturbed: NumArray;
  /** [M, A] */
  readonly dActorRaw: NumArray;
  // Eq. 6
  /** [M, S+A] [s, a] (same as encoderIn; kept apart for clarity of ownership) */
  readonly criticIn: NumArray;
  /** [M] */
  readonly q1: NumArray;
  readonly q2: NumArray;
  readonly dQ1: NumArray;
  readonly dQ2: NumArray;
}

/** The buffers of one step for M = `rows` and n = `samples`, in the networks' dtype. */
export function createWorkspace(
  nets: BcqNetworks,
  dims: BcqDims,
  rows: number,
  samples: number,
): BcqWorkspace {
  const { stateDim: S, actionDim: A, latentDim: Z } = dims;
  const M = rows;
  const Mn = rows * samples;
  const dtype: DType = nets.encoder.dtype;
  const f = (n: number) => allocate(dtype, n);
  const repeated = (net: Mlp) => new RepeatedStateForward(net, S, samples, M);
  return Object.freeze({
    rows,
    samples,
    states: f(M * S),
    actions: f(M * A),
    rewards: f(M),
    nextStates: f(M * S),
    terminated: f(M),
    encoderIn: f(M * (S + A)),
    latents: Object.freeze({
      mean: f(M * Z),
      rawLogStd: f(M * Z),
      logStd: f(M * Z),
      eps: f(M * Z),
      z: f(M * Z),
    }),
    decoderIn: f(M * (S + Z)),
    dRecon: f(M * A),
    dLatent: f(M * Z),
    dMean: f(M * Z),
    dLogStd: f(M * Z),
    dEncoderOut: f(M * 2 * Z),
    targetForwards: Object.freeze({
      decoder: repeated(nets.decoder),
      actorTarget: repeated(nets.actorTarget),
      critic1Target: repeated(nets.critic1Target),
      critic2Target: repeated(nets.critic2Target),
    }),
    targetLatents: f(Mn * Z),
    targetSampled: f(Mn * A),
    targetPerturbed: f(Mn * A),
    targetQ1: f(Mn),
    targetQ2: f(Mn),
    targetSoft: f(Mn),
    nextValue: f(M),
    y: f(M),
    actorLatents: f(M * Z),
    actorDecoderIn: f(M * (S + Z)),
    actorSampled: f(M * A),
    actorStateAction: f(M * (S + A)),
    actorPerturbed: f(M * A),
    actorRaw: f(M * A),
    dActorQ: f(M),
    dPerturbed: f(M * A),
    dActorRaw: f(M * A),
    criticIn: f(M * (S + A)),
    q1: f(M),
    q2: f(M),
    dQ1: f(M),
    dQ2: f(M),
  });
}

function copyInto(src: NumArray, dst: NumArray, n: number): void {
  for (let i = 0; i < n; i++) dst[i] = src[i];
}

/**
 * Eq. 3 (Alg. 1 line 5): VAE loss on (s, a) with ε from `ws.latents.eps`; gradients into
 * encoder.grads and decoder.grads (overwritten).
 */
export function vaeLossAndGrads(
  nets: BcqNetworks,
  ws: BcqWorkspace,
  dims: BcqDims,
  klWeight: number,
): Metrics {
  const { stateDim: S, actionDim: A, latentDim: Z } = dims;
  const M = ws.rows;
  concatColumns(ws.states, S, ws.actions, A, M, ws.encoderIn); // [M, S] ++ [M, A] -> [M, S+A]
  const encoderOut = nets.encoder.forward(ws.encoderIn, M); // [M, S+A] -> [M, 2Z]
  vaeLatents(encoderOut, M, Z, ws.latents); // [M, 2Z] -> mean, logStd, z: [M, Z]
  concatColumns(ws.states, S, ws.latents.z, Z, M, ws.decoderIn); // -> [M, S+Z]
  const recon = nets.decoder.forward(ws.decoderIn, M); // [M, S+Z] -> [M, A]
  const value = vaeLoss(recon, ws.actions, ws.latents, M, A, Z, klWeight, ws.dRecon);
  const dDecoderIn = nets.decoder.backward(ws.dRecon, M, { needInputGrad: true }) as NumArray; // [M, S+Z]
  getColumns(dDecoderIn, S + Z, S, Z, M, ws.dLatent); // [M, S+Z] -> dz [M, Z]
  vaeLatentBackward(ws.dLatent, ws.latents, M, Z, klWeight, ws.dMean, ws.dLogStd, ws.dEncoderOut);
  nets.encoder.backward(ws.dEncoderOut, M);
  return { "loss/vae": value.loss, "loss/vae_recon": value.recon, "loss/vae_kl": value.kl };
}

export interface TargetParams {
  readonly gamma: number;
  readonly lambda: number;
  readonly rho: number;
}

/**
 * Eq. 7 (Alg. 1 lines 6-7): y = r + (1 − terminated)·γ·max_i [λ·min_j + (1−λ)·max_j] Q'_j(s', a'_i),
 * a'_i = â'_i + P_ω'(s', â'_i, ρ), â'_i = D(s', z_i), z_i from `ws.targetLatents` (clipped prior).
 * Fills ws.y; touches no gradient. The networks are the target ones bound into
 * `ws.targetForwards` (createWorkspace).
 */
export function computeCriticTarget(ws: BcqWorkspace, dims: BcqDims, params: TargetParams): Metrics {
  const { actionDim: A } = dims;
  const M = ws.rows;
  const n = ws.samples;
  const Mn = M * n;
  const fwd = ws.targetForwards;
  // s' [M, S] stands for its n repeats [M*n, S] in every [s', ·] input below.
  const sampled = fwd.decoder.forward(ws.nextStates, ws.targetLatents, M); // [s', z]: [M*n, S+Z] -> [M*n, A]
  copyInto(sampled, ws.targetSampled, Mn * A);
  const raw = fwd.actorTarget.forward(ws.nextStates, ws.targetSampled, M); // [s', â']: -> [M*n, A]
  perturb(ws.targetSampled, raw, params.rho, Mn * A, ws.targetPerturbed);
  copyInto(fwd.critic1Target.forward(ws.nextStates, ws.targetPerturbed, M), ws.targetQ1, Mn); // [s', a'] -> [M*n]
  copyInto(fwd.critic2Target.forward(ws.nextStates, ws.targetPerturbed, M), ws.targetQ2, Mn);
  softClippedDoubleQ(ws.targetQ1, ws.targetQ2, params.lambda, Mn, ws.targetSoft);
  maxOverSamples(ws.targetSoft, M, n, ws.nextValue); // [M*n] -> [M, n] -> [M]
  bootstrapTarget(ws.rewards, ws.terminated, ws.nextValue, params.gamma, M, ws.y);
  const y = meanStd(ws.y, M);
  return { "target/mean": y.mean, "target/std": y.std };
}

/**
 * Eq. 5 (Alg. 1 line 8) as a minimisation: loss = −mean Q1(s, â + P_ω(s, â, ρ)), â = D(s, z),
 * z from `ws.actorLatents`. Gradients into actor.grads only (the decoder's sample is a constant,
 * the critic is only differentiated w.r.t. its action input).
 */
export function actorLossAndGrads(nets: BcqNetworks, ws: BcqWorkspace, dims: BcqDims, rho: number): Metrics {
  const { stateDim: S, actionDim: A, latentDim: Z } = dims;
  const M = ws.rows;
  concatColumns(ws.states, S, ws.actorLatents, Z, M, ws.actorDecoderIn); // -> [M, S+Z]
  copyInto(nets.decoder.forward(ws.actorDecoderIn, M), ws.actorSampled, M * A); // -> [M, A]
  concatColumns(ws.states, S, ws.actorSampled, A, M, ws.actorStateAction); // -> [M, S+A]
  copyInto(nets.actor.forward(ws.actorStateAction, M), ws.actorRaw, M * A); // -> [M, A]
  perturb(ws.actorSampled, ws.actorRaw, rho, M * A, ws.actorPerturbed);
  concatColumns(ws.states, S, ws.actorPerturbed, A, M, ws.criticIn); // -> [M, S+A]
  const q = nets.critic1.forward(ws.criticIn, M); // -> [M, 1]
  const loss = actorLoss(q, M, ws.dActorQ);
  const dIn = nets.critic1.backward(ws.dActorQ, M, { needInputGrad: true, paramGrads: "skip" }) as NumArray;
  getColumns(dIn, S + A, S, A, M, ws.dPerturbed); // [M, S+A] -> dL/da [M, A]
  perturbBackward(ws.actorSampled, ws.actorRaw, rho, ws.dPerturbed, M * A, ws.dActorRaw);
  nets.actor.backward(ws.dActorRaw, M);
  const stats = actionStats(ws.actorPerturbed, ws.actorSampled, M * A);
  return {
    "loss/actor": loss,
    "action/mean": stats.mean,
    "action/std": stats.std,
    "action/perturbation": stats.perturbation,
    "action/at_bound": stats.atBound,
  };
}

/**
 * Eq. 6 (Alg. 1 line 9): loss = mse(Q1(s, a), y) + mse(Q2(s, a), y) with y from `ws.y`;
 * gradients into critic1.grads and critic2.grads.
 */
export function criticLossAndGrads(nets: BcqNetworks, ws: BcqWorkspace, dims: BcqDims): Metrics {
  const { stateDim: S, actionDim: A } = dims;
  const M = ws.rows;
  concatColumns(ws.states, S, ws.actions, A, M, ws.criticIn); // -> [M, S+A]
  copyInto(nets.critic1.forward(ws.criticIn, M), ws.q1, M); // -> [M, 1]
  const loss1 = criticLoss(ws.q1, ws.y, M, ws.dQ1);
  nets.critic1.backward(ws.dQ1, M);
  copyInto(nets.critic2.forward(ws.criticIn, M), ws.q2, M);
  const loss2 = criticLoss(ws.q2, ws.y, M, ws.dQ2);
  nets.critic2.backward(ws.dQ2, M);
  const q = meanStd(ws.q1, M);
  return {
    "loss/critic": loss1 + loss2,
    "loss/critic1": loss1,
    "loss/critic2": loss2,
    "q/mean": q.mean,
    "q/std": q.std,
  };
}
