/**
 * One CQL+SAC training step's pieces, run through the networks on a preallocated workspace (the
 * order of the authors' `CQLTrainer.train_from_torch`). Each function computes its loss and
 * leaves gradients in the networks' `grads` (the optimiser steps are the trainer's), or fills
 * the target y; each returns namespaced metrics. The random draws are already in the
 * workspace, so the same functions serve the trainer and the float64 gradient checks.
 *
 * Shapes: S state, A action, M batch rows, N = cqlSamples, K = 3N sampled actions per state.
 */
import type { Metrics } from "../../core/metrics-logger.js";
import type { NumArray } from "../../nn/kernels.js";
import { tanhGaussianBackward, tanhGaussianSample } from "../../nn/tanh-gaussian.js";
import { allocate, type DType } from "../../nn/tensor.js";
import { concatColumns, getColumns, meanStd } from "../common/batch.js";
import { bootstrapTarget } from "../common/targets.js";
import type { CqlSacDims } from "./config.js";
import { actorLoss, cqlCriticLoss, softNextValue } from "./math.js";
import type { CqlSacNetworks } from "./networks.js";

/** Every buffer one training step touches, allocated once. */
export interface CqlSacWorkspace {
  readonly rows: number;
  /** N per proposal; K = 3N. */
  readonly samples: number;
  // The batch, states normalised.
  readonly states: NumArray; // [M, S]
  readonly actions: NumArray; // [M, A]
  readonly rewards: NumArray; // [M]
  readonly nextStates: NumArray; // [M, S]
  readonly terminated: NumArray; // [M]
  // Actor heads [μ | rawLogσ] at s and s'.
  readonly head: NumArray; // [M, 2A]
  readonly nextHead: NumArray; // [M, 2A]
  // Actor and temperature losses: ã ~ π(s).
  readonly actorEps: NumArray; // [M, A]
  readonly actorAction: NumArray; // [M, A]
  readonly actorLogProb: NumArray; // [M]
  readonly stateAction: NumArray; // [M, S+A]
  readonly actorQ1: NumArray; // [M]
  readonly actorQ2: NumArray; // [M]
  readonly dActorQ1: NumArray; // [M]
  readonly dActorQ2: NumArray; // [M]
  readonly dAction: NumArray; // [M, A]
  readonly dActionPart: NumArray; // [M, A]
  readonly dLogProb: NumArray; // [M]
  readonly dHead: NumArray; // [M, 2A]
  // Target: a' ~ π(s').
  readonly nextEps: NumArray; // [M, A]
  readonly nextAction: NumArray; // [M, A]
  readonly nextLogProb: NumArray; // [M]
  readonly nextStateAction: NumArray; // [M, S+A]
  readonly targetQ1: NumArray; // [M]
  readonly targetQ2: NumArray; // [M]
  readonly nextValue: NumArray; // [M]
  readonly y: NumArray; // [M]
  // CQL(H): N uniform, N from π(s') and N from π(s) per state, all scored at s.
  readonly uniformActions: NumArray; // [M·N, A]
  readonly nextPolicyEps: NumArray; // [M·N, A]
  readonly nextPolicyActions: NumArray; // [M·N, A]
  readonly nextPolicyLogProb: NumArray; // [M·N]
  readonly policyEps: NumArray; // [M·N, A]
  readonly policyActions: NumArray; // [M·N, A]
  readonly policyLogProb: NumArray; // [M·N]
  /** [M + M·K, S+A]: [s_i, a_i] for the batch, then [s_i, â_ik] for every sampled action. */
  readonly criticIn: NumArray;
  readonly logDensity: NumArray; // [M·K]
  readonly q: NumArray; // [M + M·K]
  readonly dq: NumArray; // [M + M·K]
}

export function createWorkspace(
  nets: CqlSacNetworks,
  dims: CqlSacDims,
  rows: number,
  samples: number,
): CqlSacWorkspace {
  const { stateDim: S, actionDim: A } = dims;
  const M = rows;
  const MN = M * samples;
  const total = M + 3 * MN;
  const dtype: DType = nets.actor.dtype;
  const f = (n: number) => allocate(dtype, n);
  return Object.freeze({
    rows,
    samples,
    states: f(M * S),
    actions: f(M * A),
    rewards: f(M),
    nextStates: f(M * S),
    terminated: f(M),
    head: f(M * 2 * A),
    nextHead: f(M * 2 * A),
    actorEps: f(M * A),
    actorAction: f(M * A),
    actorLogProb: f(M),
    stateAction: f(M * (S + A)),
    actorQ1: f(M),
    actorQ2: f(M),
    dActorQ1: f(M),
    dActorQ2: f(M),
    dAction: f(M * A),
    dActionPart: f(M * A),
    dLogProb: f(M),
    dHead: f(M * 2 * A),
    nextEps: f(M * A),
    nextAction: f(M * A),
    nextLogProb: f(M),
    nextStateAction: f(M * (S + A)),
    targetQ1: f(M),
    targetQ2: f(M),
    nextValue: f(M),
    y: f(M),
    uniformActions: f(MN * A),
    nextPolicyEps: f(MN * A),
    nextPolicyActions: f(MN * A),
    nextPolicyLogProb: f(MN),
    policyEps: f(MN * A),
    policyActions: f(MN * A),
    policyLogProb: f(MN),
    criticIn: f(total * (S + A)),
    logDensity: f(3 * MN),
    q: f(total),
    dq: f(total),
  });
}

function copyInto(src: NumArray, dst: NumArray, n: number): void {
  for (let i = 0; i < n; i++) dst[i] = src[i];
}

/** Runs the actor on s and s' into ws.head / ws.nextHead; the actor's cached forward is the one on s. */
export function actorHeads(nets: CqlSacNetworks, ws: CqlSacWorkspace, dims: CqlSacDims): void {
  const M = ws.rows;
  const H = 2 * dims.actionDim;
  copyInto(nets.actor.forward(ws.nextStates, M), ws.nextHead, M * H); // [M, S] -> [M, 2A]
  copyInto(nets.actor.forward(ws.states, M), ws.head, M * H); // last: the backward of the actor loss needs it
}

/** ã ~ π(s) with ε from ws.actorEps into ws.actorAction and ws.actorLogProb (needs `actorHeads`). */
export function sampleActorActions(ws: CqlSacWorkspace, dims: CqlSacDims): void {
  tanhGaussianSample(ws.head, ws.rows, dims.actionDim, 1, ws.actorEps, ws.actorAction, ws.actorLogProb);
}

/**
 * SAC's actor loss (Eq. 7): mean(α·log π(ã|s) − min_j Q_j(s, ã)) with ã from `sampleActorActions`;
 * gradients into actor.grads only (the critics are differentiated w.r.t. their action input).
 * The actor's last forward must be the one on s (`actorHeads`).
 */
export function actorLossAndGrads(
  nets: CqlSacNetworks,
  ws: CqlSacWorkspace,
  dims: CqlSacDims,
  alpha: number,
): Metrics {
  const { stateDim: S, actionDim: A } = dims;
  const M = ws.rows;
  concatColumns(ws.states, S, ws.actorAction, A, M, ws.stateAction); // -> [M, S+A]
  copyInto(nets.critic1.forward(ws.stateAction, M), ws.actorQ1, M);
  copyInto(nets.critic2.forward(ws.stateAction, M), ws.actorQ2, M);
  const value = actorLoss(
    ws.actorLogProb,
    ws.actorQ1,
    ws.actorQ2,
    M,
    alpha,
    ws.dLogProb,
    ws.dActorQ1,
    ws.dActorQ2,
  );
  const skip = { needInputGrad: true, paramGrads: "skip" } as const;
  getColumns(nets.critic1.backward(ws.dActorQ1, M, skip) as NumArray, S + A, S, A, M, ws.dAction);
  getColumns(nets.critic2.backward(ws.dActorQ2, M, skip) as NumArray, S + A, S, A, M, ws.dActionPart);
  for (let i = 0; i < M * A; i++) ws.dAction[i] += ws.dActionPart[i];
  tanhGaussianBackward(ws.head, M, A, 1, ws.actorEps, ws.actorAction, ws.dAction, ws.dLogProb, ws.dHead);
  nets.actor.backward(ws.dHead, M);
  const entropy = meanStd(ws.actorLogProb, M);
  const action = meanStd(ws.actorAction, M * A);
  let atBound = 0;
  for (let i = 0; i < M * A; i++) if (Math.abs(ws.actorAction[i]) > 0.999) atBound += 1;
  return {
    "loss/actor": value.loss,
    "q/policy": value.qPolicy,
    entropy: -entropy.mean,
    "action/mean": action.mean,
    "action/std": action.std,
    "action/at_bound": atBound / (M * A),
  };
}

export interface TargetParams {
  readonly gamma: number;
  /** α of the soft backup; 0 = the deterministic backup. */
  readonly backupAlpha: number;
}

/**
 * SAC's critic target: y = r + γ(1 − d)·[min_j Q'_j(s', a') − α·log π(a'|s')], a' ~ π(s') with ε
 * from ws.nextEps (needs `actorHeads`). Fills ws.y; touches no gradient.
 */
export function computeCriticTarget(
  nets: CqlSacNetworks,
  ws: CqlSacWorkspace,
  dims: CqlSacDims,
  params: TargetParams,
): Metrics {
  const { stateDim: S, actionDim: A } = dims;
  const M = ws.rows;
  tanhGaussianSample(ws.nextHead, M, A, 1, ws.nextEps, ws.nextAction, ws.nextLogProb);
  concatColumns(ws.nextStates, S, ws.nextAction, A, M, ws.nextStateAction); // -> [M, S+A]
  copyInto(nets.critic1Target.forward(ws.nextStateAction, M), ws.targetQ1, M);
  copyInto(nets.critic2Target.forward(ws.nextStateAction, M), ws.targetQ2, M);
  softNextValue(ws.targetQ1, ws.targetQ2, ws.nextLogProb, params.backupAlpha, M, ws.nextValue);
  bootstrapTarget(ws.rewards, ws.terminated, ws.nextValue, params.gamma, M, ws.y);
  const y = meanStd(ws.y, M);
  return { "target/mean": y.mean, "target/std": y.std };
}

/**
 * Fills ws.criticIn and ws.logDensity for the CQL term, from the draws in ws.uniformActions,
 * ws.nextPolicyEps and ws.policyEps (needs `actorHeads`). As in the authors' code, the actions
 * drawn from π(·|s') are scored at s (`q1_next_actions = _get_tensor_values(obs, …)`), with
 * their log density under π(·|s') as importance correction; uniform actions get log 0.5^|A|.
 * Per state, the K = 3N sampled rows are: N uniform, N from π(s'), N from π(s).
 */
export function prepareCqlInputs(ws: CqlSacWorkspace, dims: CqlSacDims): void {
  const { stateDim: S, actionDim: A } = dims;
  const M = ws.rows;
  const N = ws.samples;
  const K = 3 * N;
  tanhGaussianSample(ws.nextHead, M, A, N, ws.nextPolicyEps, ws.nextPolicyActions, ws.nextPolicyLogProb);
  tanhGaussianSample(ws.head, M, A, N, ws.policyEps, ws.policyActions, ws.policyLogProb);
  concatColumns(ws.states, S, ws.actions, A, M, ws.criticIn); // rows 0 … M−1: [s, a]
  const uniformLogDensity = A * Math.log(0.5);
  const cols = S + A;
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const row = M + i * K + k; // [M + M·K, S+A]
      const to = row * cols;
      for (let c = 0; c < S; c++) ws.criticIn[to + c] = ws.states[i * S + c];
      const proposal = Math.floor(k / N);
      const j = i * N + (k % N); // sample index within its proposal, [M·N]
      const from =
        proposal === 0 ? ws.uniformActions : proposal === 1 ? ws.nextPolicyActions : ws.policyActions;
      for (let c = 0; c < A; c++) ws.criticIn[to + S + c] = from[j * A + c];
      ws.logDensity[i * K + k] =
        proposal === 0 ? uniformLogDensity : proposal === 1 ? ws.nextPolicyLogProb[j] : ws.policyLogProb[j];
    }
  }
}

export interface CqlParams {
  readonly weight: number;
  readonly temperature: number;
}

/**
 * Each critic's loss = mse(Q_j(s, a), y) + CQL(H) on ws.criticIn (from `prepareCqlInputs`, y
 * from `computeCriticTarget`); gradients into critic1.grads and critic2.grads (overwritten).
 * Metrics: `loss/critic` (both critics' total), `loss/critic_td`, `loss/cql` (both critics'
 * weighted CQL terms), `cql/logsumexp` and `cql/gap` (unweighted, mean of the two critics),
 * `q/mean`, `q/std` (Q_1 on the batch's actions).
 */
export function criticLossAndGrads(nets: CqlSacNetworks, ws: CqlSacWorkspace, params: CqlParams): Metrics {
  const M = ws.rows;
  const K = 3 * ws.samples;
  const total = M + M * K;
  const values = [nets.critic1, nets.critic2].map((critic) => {
    copyInto(critic.forward(ws.criticIn, total), ws.q, total); // [M + M·K, S+A] -> [M + M·K]
    const value = cqlCriticLoss(ws.q, ws.y, ws.logDensity, M, K, params.weight, params.temperature, ws.dq);
    critic.backward(ws.dq, total);
    return { value, q: meanStd(ws.q, M) };
  });
  const [one, two] = values;
  return {
    "loss/critic": one.value.td + one.value.cql + two.value.td + two.value.cql,
    "loss/critic_td": one.value.td + two.value.td,
    "loss/cql": one.value.cql + two.value.cql,
    "cql/logsumexp": (one.value.logsumexp + two.value.logsumexp) / 2,
    "cql/gap": (one.value.gap + two.value.gap) / 2,
    "q/mean": one.q.mean,
    "q/std": one.q.std,
  };
}
