/**
 * BCQ workloads, doing exactly the work of ../shared/bench/torch_reference.py (`bench_bcq`,
 * `bench_act`) at the paper's sizes: state 128, action 12, latent 24, VAE 750-750, actor
 * 400-300, twin critics 400-300, M = 256, n = 10, Adam lrs of Sec. 4.2, soft target update
 * (η 0.05) every L = 10 steps.
 *   bcq     one full training step of Algorithm 1 (BcqTrainer.update) on a fixed random batch
 *   act     Eq. 4 for one state (10 VAE samples, perturb, argmax Q1)
 *   act256  Eq. 4 for a batch of 256 states
 * Ours does a little more than the reference per step (state normalisation, metrics) and a
 * little less in the actor update (Q1 only; the reference also evaluates Q2 there).
 */

import { bcqConfig } from "../../src/agents/bcq/config.js";
import type { BcqPolicy } from "../../src/agents/bcq/policy.js";
import { BcqTrainer } from "../../src/agents/bcq/trainer.js";
import { identityNormaliser } from "../../src/agents/common/normaliser.js";
import { ACTION_DIM, type BatchSource, type TransitionBatch } from "../../src/core/interfaces.js";
import { Rng } from "../../src/core/rng.js";
import type { Workload } from "../harness.js";
import { stepsPerSecond, type TorchComparedSpec, torchComparedWorkload } from "../torch-compare.js";

const S = 128;
const M = 256;

/** The reference's batch: s, s' ~ N(0, 1), a ~ U(-1, 1), r ~ N(0, 1), not_done = 1; the same every step. */
function fixedBatchSource(seed: number): BatchSource {
  const rng = new Rng(seed);
  const batch: TransitionBatch = {
    size: M,
    stateDim: S,
    states: new Float32Array(M * S),
    actions: new Float32Array(M * ACTION_DIM),
    rewards: new Float32Array(M),
    nextStates: new Float32Array(M * S),
    terminated: new Float32Array(M),
    truncated: new Float32Array(M),
  };
  rng.fillNormal(batch.states);
  rng.fillUniform(batch.actions, -1, 1);
  rng.fillNormal(batch.rewards);
  rng.fillNormal(batch.nextStates);
  return {
    stateDim: S,
    actionDim: ACTION_DIM,
    batchSize: M,
    size: M,
    next: () => batch,
    saveState: () => ({}),
    restoreState: () => {},
  };
}

/** A BCQ trainer at the paper's sizes (the config defaults). */
function paperTrainer(seed: number): BcqTrainer {
  const config = bcqConfig();
  return new BcqTrainer({ config, source: fixedBatchSource(seed), normaliser: identityNormaliser(S), seed });
}

function latencies(
  policy: BcqPolicy,
  states: number,
  warm: number,
  calls: number,
): { p50: number; p99: number } {
  const rng = new Rng(1);
  const input = new Float32Array(states * S);
  rng.fillNormal(input);
  const out = new Float32Array(states * ACTION_DIM);
  for (let i = 0; i < warm; i++) policy.act(input, states, out, rng);
  const lat = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    policy.act(input, states, out, rng);
    lat[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  lat.sort();
  return { p50: lat[Math.floor(calls / 2)], p99: lat[Math.floor(calls * 0.99)] };
}

let trainedPolicy: BcqPolicy | null = null;

/** The policy of a paper-size trainer after a few steps (built once, shared by act and act256). */
function policyForLatency(): BcqPolicy {
  if (trainedPolicy === null) {
    const trainer = paperTrainer(0);
    for (let i = 0; i < 3; i++) trainer.update();
    trainedPolicy = trainer.policy("bench");
  }
  return trainedPolicy;
}

const SPECS: readonly TorchComparedSpec[] = [
  {
    name: "bcq",
    description:
      "BCQ training step (Alg. 1) at paper sizes: S 128, A 12, VAE 750-750, actor/critics 400-300, M 256, n 10 (vs PyTorch)",
    ours: (ctx) => {
      const trainer = paperTrainer(0);
      const rate = stepsPerSecond(
        () => trainer.update(),
        ctx.quick ? 3 : 10,
        ctx.quick ? 10 : 30,
        ctx.quick ? 1 : 3,
      );
      return { steps_per_s: rate, hours_for_300k_steps: 300_000 / rate / 3600 };
    },
    metrics: {
      steps_per_s: ["steps/s", "steps_per_s", true],
      hours_for_300k_steps: ["h", "hours_for_300k_steps", false],
    },
  },
  {
    name: "act",
    description: "BCQ policy (Eq. 4) for 1 state: 10 VAE samples, perturb, argmax Q1; latency (vs PyTorch)",
    ours: (ctx) => {
      const calls = ctx.quick ? 1000 : 5000;
      const { p50, p99 } = latencies(policyForLatency(), 1, Math.max(50, calls / 10), calls);
      return { p50_us: p50, p99_us: p99 };
    },
    metrics: { p50_us: ["µs", "p50_us", false], p99_us: ["µs", "p99_us", false] },
  },
  {
    name: "act256",
    description: "BCQ policy (Eq. 4) for a batch of 256 states; latency (vs PyTorch)",
    ours: (ctx) => {
      const calls = ctx.quick ? 60 : 300;
      const { p50, p99 } = latencies(policyForLatency(), 256, 50, calls);
      return { p50_us: p50, p99_us: p99 };
    },
    metrics: { p50_us: ["µs", "p50_us", false], p99_us: ["µs", "p99_us", false] },
  },
];

export const bcqWorkloads: readonly Workload[] = SPECS.map(torchComparedWorkload);
