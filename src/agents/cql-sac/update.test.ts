/**
 * CQL+SAC's losses against closed forms, and their gradients through the networks against
 * central finite differences in float64 (reference kernels).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rng } from "../../core/rng.js";
import { gradCheck } from "../../nn/gradcheck.js";
import type { NumArray } from "../../nn/kernels.js";
import { referenceKernels } from "../../nn/reference-kernels.js";
import { cqlSacConfig, cqlSacDims } from "./config.js";
import {
  actorLoss,
  CQL_MULTIPLIER_MAX,
  cqlCriticLoss,
  cqlMultiplierLoss,
  sampleNormal,
  sampleUniformActions,
  temperatureLoss,
} from "./math.js";
import { createCqlSacNetworks } from "./networks.js";
import {
  actorHeads,
  actorLossAndGrads,
  computeCriticTarget,
  createWorkspace,
  criticLossAndGrads,
  prepareCqlInputs,
  sampleActorActions,
} from "./update.js";

describe("CQL+SAC loss math", () => {
  it("CQL(H): Bellman error + w·(logsumexp of the importance-corrected samples − Q on the data)", () => {
    // 2 states, K = 3 samples each.
    const q = Float64Array.of(0.5, -1, /* state 0 */ 0.2, 1.1, -0.4, /* state 1 */ 2, 0, 0.3);
    const y = Float64Array.of(1, -0.5);
    const logDensity = Float64Array.of(-1.386, 0.4, -2, -1.386, 1.2, 0.1);
    const dq = new Float64Array(8);
    const w = 5;
    const T = 0.7;
    const value = cqlCriticLoss(q, y, logDensity, 2, 3, w, T, dq);
    const lse = (i: number) => {
      let sum = 0;
      for (let k = 0; k < 3; k++) sum += Math.exp((q[2 + 3 * i + k] - logDensity[3 * i + k]) / T);
      return T * Math.log(sum);
    };
    const td = ((0.5 - 1) ** 2 + (-1 + 0.5) ** 2) / 2;
    const lseMean = (lse(0) + lse(1)) / 2;
    const gap = lseMean - (0.5 - 1) / 2;
    assert.ok(Math.abs(value.td - td) < 1e-12);
    assert.ok(Math.abs(value.logsumexp - lseMean) < 1e-12);
    assert.ok(Math.abs(value.gap - gap) < 1e-12);
    assert.ok(Math.abs(value.cql - w * gap) < 1e-12);
    const loss = (x: Float64Array) => {
      const v = cqlCriticLoss(x, y, logDensity, 2, 3, w, T, new Float64Array(8));
      return v.td + v.cql;
    };
    const check = gradCheck(loss, q, dq, { floor: 1e-3 });
    assert.ok(check.maxRelativeError < 1e-6, JSON.stringify(check));
  });

  it("the Lagrange multiplier's loss −α'·(c̄ − τ), its gradient, and the clamp at 10⁶", () => {
    const m = cqlMultiplierLoss(7, Math.log(2), 3);
    assert.ok(Math.abs(m.loss - -2 * 4) < 1e-12);
    assert.ok(Math.abs(m.grad - -2 * 4) < 1e-12, "d/dlog α' of −exp(log α')·4");
    const clamped = cqlMultiplierLoss(7, Math.log(CQL_MULTIPLIER_MAX) + 1, 3);
    assert.equal(clamped.grad, 0);
    assert.ok(Math.abs(clamped.loss - -CQL_MULTIPLIER_MAX * 4) < 1e-3);
  });

  it("temperature and actor losses as the SAC reference code writes them", () => {
    const logProb = Float64Array.of(-1, 0.5, 2);
    const t = temperatureLoss(logProb, 3, 0.3, -2);
    const mean = (-1 - 2 + 0.5 - 2 + 2 - 2) / 3;
    assert.ok(Math.abs(t.loss - -0.3 * mean) < 1e-15);
    assert.ok(Math.abs(t.grad - -mean) < 1e-15);
    const q1 = Float64Array.of(1, 2, 3);
    const q2 = Float64Array.of(1.5, 1, 3);
    const dLogProb = new Float64Array(3);
    const dQ1 = new Float64Array(3);
    const dQ2 = new Float64Array(3);
    const a = actorLoss(logProb, q1, q2, 3, 0.5, dLogProb, dQ1, dQ2);
    assert.ok(Math.abs(a.loss - (0.5 * (-1 + 0.5 + 2) - (1 + 1 + 3)) / 3) < 1e-15);
    assert.ok(Math.abs(a.qPolicy - 5 / 3) < 1e-15);
    assert.deepEqual([...dLogProb], [0.5 / 3, 0.5 / 3, 0.5 / 3]);
    assert.deepEqual([...dQ1], [-1 / 3, 0, -1 / 3], "the minimum gets the gradient (Q1 on ties)");
    assert.deepEqual([...dQ2], [0, -1 / 3, 0]);
  });
});

describe("CQL+SAC gradients through the networks (float64)", () => {
  const config = cqlSacConfig({ actorHidden: [6, 5], criticHidden: [6, 5], batchSize: 4, cqlSamples: 2 });
  const dims = cqlSacDims(3, 2);
  const S = dims.stateDim;
  const A = dims.actionDim;
  const M = config.batchSize;

  function setup(seed: number) {
    const rng = new Rng(seed);
    const nets = createCqlSacNetworks(config, dims, rng, { kernels: referenceKernels, dtype: "float64" });
    const ws = createWorkspace(nets, dims, M, config.cqlSamples);
    const fill = (x: NumArray, n: number) => sampleNormal(rng, x, n);
    fill(ws.states, M * S);
    fill(ws.nextStates, M * S);
    sampleUniformActions(rng, ws.actions, M * A);
    fill(ws.rewards, M);
    ws.terminated[1] = 1;
    fill(ws.actorEps, M * A);
    fill(ws.nextEps, M * A);
    const MN = M * config.cqlSamples;
    sampleUniformActions(rng, ws.uniformActions, MN * A);
    fill(ws.nextPolicyEps, MN * A);
    fill(ws.policyEps, MN * A);
    return { nets, ws };
  }

  it("the actor loss (SAC Eq. 7, reparameterised) w.r.t. the actor's parameters", () => {
    const { nets, ws } = setup(1);
    const alpha = 0.37;
    const loss = (): number => {
      actorHeads(nets, ws, dims);
      sampleActorActions(ws, dims);
      return actorLossAndGrads(nets, ws, dims, alpha)["loss/actor"];
    };
    loss();
    const analytic = Float64Array.from(nets.actor.grads);
    const critic1Grads = Float64Array.from(nets.critic1.grads);
    const check = gradCheck(() => loss(), nets.actor.params as Float64Array, analytic, { floor: 1e-6 });
    assert.ok(check.maxRelativeError < 1e-5, JSON.stringify(check));
    assert.deepEqual(
      Float64Array.from(nets.critic1.grads),
      critic1Grads,
      "the critics' gradients are untouched",
    );
  });

  it("each critic's Bellman error + CQL(H) w.r.t. the critic's parameters", () => {
    const { nets, ws } = setup(2);
    actorHeads(nets, ws, dims);
    computeCriticTarget(nets, ws, dims, { gamma: 0.9, backupAlpha: 0.2 });
    prepareCqlInputs(ws, dims);
    const params = { weight: 5, temperature: 1 };
    criticLossAndGrads(nets, ws, params);
    const analytic1 = Float64Array.from(nets.critic1.grads);
    const analytic2 = Float64Array.from(nets.critic2.grads);
    // The total loss is the sum of the two critics' losses, so its gradient w.r.t. one
    // critic's parameters is that critic's own.
    const loss = (): number => criticLossAndGrads(nets, ws, params)["loss/critic"];
    for (const [net, analytic] of [
      [nets.critic1, analytic1],
      [nets.critic2, analytic2],
    ] as const) {
      const check = gradCheck(() => loss(), net.params as Float64Array, analytic, { floor: 1e-6 });
      assert.ok(check.maxRelativeError < 1e-5, JSON.stringify(check));
    }
  });

  it("the target bootstraps min Q' − α log π at s' and stops at terminated transitions", () => {
    const { nets, ws } = setup(3);
    actorHeads(nets, ws, dims);
    computeCriticTarget(nets, ws, dims, { gamma: 0.9, backupAlpha: 0.2 });
    for (let i = 0; i < M; i++) {
      const next = Math.min(ws.targetQ1[i], ws.targetQ2[i]) - 0.2 * ws.nextLogProb[i];
      const expected = ws.rewards[i] + (i === 1 ? 0 : 0.9 * next);
      assert.ok(Math.abs(ws.y[i] - expected) < 1e-12, `row ${i}`);
    }
    prepareCqlInputs(ws, dims);
    // Row layout: the batch, then per state N uniform, N from π(s'), N from π(s), all at s.
    const N = config.cqlSamples;
    const K = 3 * N;
    const row = (i: number) => Array.from(ws.criticIn.subarray(i * (S + A), (i + 1) * (S + A)));
    assert.deepEqual(row(0), [...ws.states.subarray(0, S), ...ws.actions.subarray(0, A)]);
    const state2 = Array.from(ws.states.subarray(2 * S, 3 * S));
    for (let k = 0; k < K; k++) assert.deepEqual(row(M + 2 * K + k).slice(0, S), state2);
    assert.deepEqual(
      row(M + 2 * K).slice(S),
      Array.from(ws.uniformActions.subarray(2 * N * A, 2 * N * A + A)),
    );
    assert.deepEqual(
      row(M + 2 * K + N).slice(S),
      Array.from(ws.nextPolicyActions.subarray(2 * N * A, 2 * N * A + A)),
    );
    assert.deepEqual(
      row(M + 2 * K + 2 * N).slice(S),
      Array.from(ws.policyActions.subarray(2 * N * A, 2 * N * A + A)),
    );
    assert.equal(ws.logDensity[2 * K], A * Math.log(0.5));
    assert.equal(ws.logDensity[2 * K + N], ws.nextPolicyLogProb[2 * N]);
    assert.equal(ws.logDensity[2 * K + 2 * N], ws.policyLogProb[2 * N]);
  });
});
