/**
 * One update step of each BCQ loss against numbers computed by hand (the chain rule written out
 * below, independently of the implementation) on a tiny net: S = A = Z = 1, linear layers,
 * M = 2, n = 2, float64 reference kernels. Then a float64 gradient check of the composite
 * losses (VAE through the reparameterisation and clamp; actor through the decoder sample, the
 * ρ·tanh perturbation, the [-1, 1] clamp and Q1's input gradient; twin critics) on networks
 * with hidden layers.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rng } from "../../core/rng.js";
import { gradCheck } from "../../nn/gradcheck.js";
import type { NumArray } from "../../nn/kernels.js";
import { referenceKernels } from "../../nn/reference-kernels.js";
import { type BcqConfig, bcqConfig, bcqDims } from "./config.js";
import { sampleLatents, sampleNormal } from "./math.js";
import { type BcqNetworks, createBcqNetworks, createBcqOptimisers } from "./networks.js";
import {
  actorLossAndGrads,
  type BcqWorkspace,
  computeCriticTarget,
  createWorkspace,
  criticLossAndGrads,
  vaeLossAndGrads,
} from "./update.js";

const close = (actual: number, expected: number, tol = 1e-12, what = "") =>
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs ${expected}`,
  );

function tiny(): {
  config: BcqConfig;
  nets: BcqNetworks;
  ws: BcqWorkspace;
  dims: ReturnType<typeof bcqDims>;
} {
  const config = bcqConfig({
    vaeHidden: [],
    actorHidden: [],
    criticHidden: [],
    latentDim: 1,
    batchSize: 2,
    nActionSamples: 2,
  });
  const dims = bcqDims(config, 1, 1);
  const nets = createBcqNetworks(config, dims, new Rng(1), { kernels: referenceKernels, dtype: "float64" });
  // Single linear layers; params are W [in x out] row-major, then b [out].
  // encoder [s, a] -> [mean, rawLogStd]: W = [[0.4, -0.3], [0.2, 0.5]], b = [0.1, -0.2]
  nets.encoder.setParams(Float64Array.of(0.4, -0.3, 0.2, 0.5, 0.1, -0.2));
  // decoder [s, z] -> tanh: W = [0.6, -0.8], b = 0.05
  nets.decoder.setParams(Float64Array.of(0.6, -0.8, 0.05));
  // actor [s, â] -> tanh: W = [0.3, -0.5], b = 0.1 (the target a different copy)
  nets.actor.setParams(Float64Array.of(0.3, -0.5, 0.1));
  nets.actorTarget.setParams(Float64Array.of(0.2, 0.4, -0.3));
  // critics [s, a] -> Q
  nets.critic1.setParams(Float64Array.of(0.7, 1.5, -0.1));
  nets.critic2.setParams(Float64Array.of(-0.2, 0.9, 0.3));
  nets.critic1Target.setParams(Float64Array.of(0.5, 1.0, 0.2));
  nets.critic2Target.setParams(Float64Array.of(0.6, -1.2, 0.1));
  const ws = createWorkspace(nets, dims, 2, 2);
  ws.states.set([0.5, -1.0]);
  ws.actions.set([0.2, -0.4]);
  ws.rewards.set([1.0, -0.5]);
  ws.nextStates.set([0.8, -0.3]);
  ws.terminated.set([0, 1]);
  return { config, nets, ws, dims };
}

const s = [0.5, -1.0];
const a = [0.2, -0.4];

describe("BCQ update steps against hand-computed numbers (tiny linear nets)", () => {
  it("Eq. 3: VAE loss, gradients and one Adam step", () => {
    const { config, nets, ws, dims } = tiny();
    const eps = [0.3, -0.7];
    ws.latents.eps.set(eps);
    const metrics = vaeLossAndGrads(nets, ws, dims, 0.5);

    // Forward by hand.
    const mean = s.map((si, i) => si * 0.4 + a[i] * 0.2 + 0.1);
    const logStd = s.map((si, i) => si * -0.3 + a[i] * 0.5 - 0.2); // inside [-4, 15]: no clamp
    const std = logStd.map(Math.exp);
    const z = mean.map((m, i) => m + std[i] * eps[i]);
    const recon = s.map((si, i) => Math.tanh(si * 0.6 + z[i] * -0.8 + 0.05));
    const reconLoss = ((recon[0] - a[0]) ** 2 + (recon[1] - a[1]) ** 2) / 2;
    const kl =
      (-0.5 * [0, 1].reduce((acc, i) => acc + 1 + 2 * logStd[i] - mean[i] ** 2 - std[i] ** 2, 0)) / 2;
    close(metrics["loss/vae_recon"], reconLoss, 1e-12, "recon");
    close(metrics["loss/vae_kl"], kl, 1e-12, "kl");
    close(metrics["loss/vae"], reconLoss + 0.5 * kl, 1e-12, "loss");
    // The same numbers, worked out once on paper (python, no autograd):
    close(metrics["loss/vae_recon"], 0.2620663944714924, 1e-12, "recon literal");
    close(metrics["loss/vae_kl"], 0.0963153531976538, 1e-12, "kl literal");
    close(metrics["loss/vae"], 0.3102240710703193, 1e-12, "loss literal");

    // Backward by hand: mse over n = 2 entries -> d/drecon = (recon − a); tanh' = 1 − recon².
    const du = recon.map((r, i) => (r - a[i]) * (1 - r * r));
    const dDecoder = [du[0] * s[0] + du[1] * s[1], du[0] * z[0] + du[1] * z[1], du[0] + du[1]];
    const dz = du.map((d) => d * -0.8);
    // KL gradients are averaged over M·Z = 2 entries and weighted by 0.5.
    const dMean = dz.map((d, i) => d + (0.5 * mean[i]) / 2);
    const dLogStd = dz.map((d, i) => d * eps[i] * std[i] + (0.5 * (std[i] ** 2 - 1)) / 2);
    const dEncoder = [
      dMean[0] * s[0] + dMean[1] * s[1], // W[s -> mean]
      dLogStd[0] * s[0] + dLogStd[1] * s[1], // W[s -> logStd]
      dMean[0] * a[0] + dMean[1] * a[1], // W[a -> mean]
      dLogStd[0] * a[0] + dLogStd[1] * a[1], // W[a -> logStd]
      dMean[0] + dMean[1],
      dLogStd[0] + dLogStd[1],
    ];
    for (const [i, g] of dDecoder.entries()) close(nets.decoder.grads[i], g, 1e-12, `decoder grad ${i}`);
    for (const [i, g] of dEncoder.entries()) close(nets.encoder.grads[i], g, 1e-12, `encoder grad ${i}`);

    // Adam's first step moves each parameter by lr·g / (|g| + 1e-8) (m̂ = g, v̂ = g²).
    const before = Float64Array.from(nets.encoder.params);
    createBcqOptimisers(config, nets).encoder.update();
    for (const [i, g] of dEncoder.entries()) {
      close(
        nets.encoder.params[i],
        before[i] - (1e-3 * g) / (Math.abs(g) + 1e-8),
        1e-12,
        `encoder param ${i}`,
      );
    }
  });

  it("Eq. 7: the target with n = 2 samples, clipped double Q, terminated masking", () => {
    const { ws, dims } = tiny();
    const zT = [0.25, -0.5, 0.4, 0.1]; // [M*n, Z]: rows (s'_0, z_0), (s'_0, z_1), (s'_1, z_2), (s'_1, z_3)
    ws.targetLatents.set(zT);
    computeCriticTarget(ws, dims, { gamma: 0.95, lambda: 1, rho: 0.15 });
    const next = [0.8, -0.3];
    const value = [0, 1].map((i) => {
      let best = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < 2; j++) {
        const sp = next[i];
        const ahat = Math.tanh(sp * 0.6 + zT[2 * i + j] * -0.8 + 0.05); // decoder
        const xi = 0.15 * Math.tanh(sp * 0.2 + ahat * 0.4 - 0.3); // target actor
        const ap = Math.min(1, Math.max(-1, ahat + xi));
        const q1 = sp * 0.5 + ap * 1.0 + 0.2;
        const q2 = sp * 0.6 + ap * -1.2 + 0.1;
        best = Math.max(best, Math.min(q1, q2));
      }
      return best;
    });
    close(ws.nextValue[0], value[0], 1e-12, "V(s'_0)");
    close(ws.nextValue[1], value[1], 1e-12, "V(s'_1)");
    close(ws.y[0], 1.0 + 0.95 * value[0], 1e-12, "y_0 bootstraps");
    close(ws.y[1], -0.5, 1e-12, "y_1 terminated: no bootstrap");

    // λ = 0.75 mixes min and max (BCQ's soft clipping).
    computeCriticTarget(ws, dims, { gamma: 0.95, lambda: 0.75, rho: 0.15 });
    assert.ok(ws.y[0] > 1.0 + 0.95 * value[0], "the max term raises the target");
  });

  it("Eq. 5: actor loss −mean Q1(s, â + ρ·tanh(P)) and its gradient, one Adam step", () => {
    const { config, nets, ws, dims } = tiny();
    const zA = [0.25, -0.5];
    ws.actorLatents.set(zA);
    const metrics = actorLossAndGrads(nets, ws, dims, 0.15);
    const ahat = s.map((si, i) => Math.tanh(si * 0.6 + zA[i] * -0.8 + 0.05));
    const raw = s.map((si, i) => Math.tanh(si * 0.3 + ahat[i] * -0.5 + 0.1));
    const pert = ahat.map((h, i) => Math.min(1, Math.max(-1, h + 0.15 * raw[i])));
    const q = s.map((si, i) => si * 0.7 + pert[i] * 1.5 - 0.1);
    close(metrics["loss/actor"], -(q[0] + q[1]) / 2, 1e-12, "actor loss");
    close(metrics["loss/actor"], 0.2695016713636163, 1e-12, "actor loss literal");
    // dL/dpre = −1/M · ∂Q/∂a (1.5) · ρ · tanh'(pre); the perturbed actions are inside [-1, 1].
    const dPre = raw.map((r) => -0.5 * 1.5 * 0.15 * (1 - r * r));
    const dActor = [
      dPre[0] * s[0] + dPre[1] * s[1],
      dPre[0] * ahat[0] + dPre[1] * ahat[1],
      dPre[0] + dPre[1],
    ];
    for (const [i, g] of dActor.entries()) close(nets.actor.grads[i], g, 1e-12, `actor grad ${i}`);
    close(nets.actor.grads[2], -0.21984766704605985, 1e-12, "actor bias grad literal");
    close(
      metrics["action/perturbation"],
      (Math.abs(pert[0] - ahat[0]) + Math.abs(pert[1] - ahat[1])) / 2,
      1e-12,
    );
    // The critic is differentiated only w.r.t. its input: its parameter gradients stay untouched.
    assert.deepEqual([...nets.critic1.grads], [0, 0, 0]);
    const before = Float64Array.from(nets.actor.params);
    createBcqOptimisers(config, nets).actor.update();
    for (const [i, g] of dActor.entries())
      close(nets.actor.params[i], before[i] - (1e-4 * g) / (Math.abs(g) + 1e-8), 1e-12, `actor param ${i}`);
  });

  it("Eq. 6: twin critic losses and gradients against y, one Adam step", () => {
    const { config, nets, ws, dims } = tiny();
    const y = [1.3, -0.5];
    ws.y.set(y);
    const metrics = criticLossAndGrads(nets, ws, dims);
    const q1 = s.map((si, i) => si * 0.7 + a[i] * 1.5 - 0.1);
    const q2 = s.map((si, i) => si * -0.2 + a[i] * 0.9 + 0.3);
    const l1 = ((q1[0] - y[0]) ** 2 + (q1[1] - y[1]) ** 2) / 2;
    const l2 = ((q2[0] - y[0]) ** 2 + (q2[1] - y[1]) ** 2) / 2;
    close(metrics["loss/critic"], l1 + l2, 1e-12, "critic loss");
    close(metrics["q/mean"], (q1[0] + q1[1]) / 2, 1e-12, "q/mean");
    close(metrics["q/std"], Math.abs(q1[0] - q1[1]) / 2, 1e-12, "q/std");
    const d1 = q1.map((q, i) => q - y[i]); // 2/M · (Q − y) with M = 2
    const d2 = q2.map((q, i) => q - y[i]);
    const g1 = [d1[0] * s[0] + d1[1] * s[1], d1[0] * a[0] + d1[1] * a[1], d1[0] + d1[1]];
    const g2 = [d2[0] * s[0] + d2[1] * s[1], d2[0] * a[0] + d2[1] * a[1], d2[0] + d2[1]];
    for (const [i, g] of g1.entries()) close(nets.critic1.grads[i], g, 1e-12, `critic1 grad ${i}`);
    for (const [i, g] of g2.entries()) close(nets.critic2.grads[i], g, 1e-12, `critic2 grad ${i}`);
    const before = Float64Array.from(nets.critic2.params);
    createBcqOptimisers(config, nets).critic2.update();
    for (const [i, g] of g2.entries()) {
      close(
        nets.critic2.params[i],
        before[i] - (2e-4 * g) / (Math.abs(g) + 1e-8),
        1e-12,
        `critic2 param ${i}`,
      );
    }
  });
});

describe("BCQ composite losses: float64 gradient check (reference kernels)", () => {
  const config = bcqConfig({
    vaeHidden: [6, 5],
    actorHidden: [5, 4],
    criticHidden: [5, 4],
    batchSize: 4,
    nActionSamples: 3,
  });
  const dims = bcqDims(config, 3, 2);

  function setup(): { nets: BcqNetworks; ws: BcqWorkspace } {
    const rng = new Rng(7);
    const nets = createBcqNetworks(config, dims, rng, { kernels: referenceKernels, dtype: "float64" });
    const ws = createWorkspace(nets, dims, 4, 3);
    sampleNormal(rng, ws.states, ws.states.length);
    for (let i = 0; i < ws.actions.length; i++) ws.actions[i] = rng.uniformIn(-0.9, 0.9);
    sampleNormal(rng, ws.latents.eps, ws.latents.eps.length);
    sampleLatents(rng, ws.actorLatents, ws.actorLatents.length, 0.5);
    sampleNormal(rng, ws.y, ws.y.length);
    return { nets, ws };
  }

  function check(params: NumArray, analytic: Float64Array, loss: () => number, what: string): void {
    const result = gradCheck(() => loss(), params as Float64Array, analytic, { step: 1e-6, floor: 1e-7 });
    assert.ok(
      result.maxRelativeError < 1e-5,
      `${what}: max relative error ${result.maxRelativeError} at ${result.worstIndex} (${result.analytic} vs ${result.numeric})`,
    );
  }

  it("VAE (Eq. 3) w.r.t. encoder and decoder parameters", () => {
    const { nets, ws } = setup();
    const loss = () => vaeLossAndGrads(nets, ws, dims, 0.5)["loss/vae"];
    loss();
    const encoderGrad = Float64Array.from(nets.encoder.grads);
    const decoderGrad = Float64Array.from(nets.decoder.grads);
    check(nets.encoder.params, encoderGrad, loss, "encoder");
    check(nets.decoder.params, decoderGrad, loss, "decoder");
  });

  it("actor (Eq. 5) w.r.t. P_ω's parameters, through Q1", () => {
    const { nets, ws } = setup();
    const loss = () => actorLossAndGrads(nets, ws, dims, 0.15)["loss/actor"];
    loss();
    check(nets.actor.params, Float64Array.from(nets.actor.grads), loss, "actor");
  });

  it("twin critics (Eq. 6) w.r.t. both critics' parameters", () => {
    const { nets, ws } = setup();
    const loss = () => criticLossAndGrads(nets, ws, dims)["loss/critic"];
    loss();
    check(nets.critic1.params, Float64Array.from(nets.critic1.grads), loss, "critic1");
    check(nets.critic2.params, Float64Array.from(nets.critic2.grads), loss, "critic2");
  });
});
