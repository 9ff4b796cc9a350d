/**
 * Numeric-engine workloads, doing exactly the work of ../shared/bench/torch_reference.py:
 *   critic  MLP 140 -> 256 -> 256 -> 1 (ReLU), batch 256, MSE, forward + backward + Adam
 *   vae     MLP 140 -> 750 -> 750 -> 24 (ReLU), batch 256, MSE, forward + backward + Adam
 *   infer   MLP 128 -> 256 -> 256 -> 12 (ReLU, tanh out), 10 rows, forward only
 */
import { Rng } from "../../src/core/rng.js";
import { Adam } from "../../src/nn/adam.js";
import { mseLoss } from "../../src/nn/losses.js";
import { Mlp } from "../../src/nn/mlp.js";
import type { Workload } from "../harness.js";
import { stepsPerSecond, type TorchComparedSpec, torchComparedWorkload } from "../torch-compare.js";

function trainingStep(sizes: readonly number[], seed: number): () => void {
  const rng = new Rng(seed);
  const batch = 256;
  const net = new Mlp(
    { sizes, hiddenActivation: "relu", outputActivation: "identity", maxBatch: batch },
    rng,
  );
  const adam = new Adam(net, { lr: 1e-3 });
  const outDim = sizes[sizes.length - 1];
  const x = new Float32Array(batch * sizes[0]);
  const target = new Float32Array(batch * outDim);
  const grad = new Float32Array(batch * outDim);
  rng.fillNormal(x);
  rng.fillNormal(target);
  return () => {
    const out = net.forward(x, batch);
    mseLoss(out, target, batch * outDim, grad);
    net.backward(grad, batch, { paramGrads: "overwrite" });
    adam.update();
  };
}

function inferenceLatencies(seed: number, warm: number, calls: number): { p50: number; p99: number } {
  const rng = new Rng(seed);
  const rows = 10;
  const net = new Mlp(
    { sizes: [128, 256, 256, 12], hiddenActivation: "relu", outputActivation: "tanh", maxBatch: rows },
    rng,
  );
  const x = new Float32Array(rows * 128);
  rng.fillNormal(x);
  for (let i = 0; i < warm; i++) net.forward(x, rows);
  const lat = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    net.forward(x, rows);
    lat[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  lat.sort();
  return { p50: lat[Math.floor(calls / 2)], p99: lat[Math.floor(calls * 0.99)] };
}

const SPECS: readonly TorchComparedSpec[] = [
  {
    name: "critic",
    description: "MLP 140-256-256-1, batch 256, MSE, forward+backward+Adam (vs PyTorch)",
    ours: (ctx) => ({
      steps_per_s: stepsPerSecond(trainingStep([140, 256, 256, 1], 0), 30, 200, ctx.quick ? 2 : 5),
    }),
    metrics: { steps_per_s: ["steps/s", "steps_per_s", true] },
  },
  {
    name: "vae",
    description: "MLP 140-750-750-24, batch 256, MSE, forward+backward+Adam (vs PyTorch)",
    ours: (ctx) => ({
      steps_per_s: stepsPerSecond(trainingStep([140, 750, 750, 24], 0), 5, 30, ctx.quick ? 2 : 3),
    }),
    metrics: { steps_per_s: ["steps/s", "steps_per_s", true] },
  },
  {
    name: "infer",
    description: "MLP 128-256-256-12 (tanh out), 10 rows, forward latency (vs PyTorch)",
    ours: (ctx) => {
      const { p50, p99 } = inferenceLatencies(0, 2000, ctx.quick ? 2000 : 10000);
      return { p50_us: p50, p99_us: p99 };
    },
    metrics: { p50_us: ["µs", "p50_us", false], p99_us: ["µs", "p99_us", false] },
  },
];

export const nnWorkloads: readonly Workload[] = SPECS.map(torchComparedWorkload);
