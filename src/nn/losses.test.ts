import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../core/rng.js";
import { gradCheck } from "./gradcheck.js";
import {
  clamp,
  clampBackward,
  klToStandardNormal,
  LOG_STD_MAX,
  LOG_STD_MIN,
  mseLoss,
  reparameterize,
  reparameterizeBackward,
} from "./losses.js";
import { Mlp } from "./mlp.js";
import { referenceKernels } from "./reference-kernels.js";
import { copyColumns } from "./tensor.js";

function uniform(rng: Rng, n: number, low = -1, high = 1): Float64Array {
  const out = new Float64Array(n);
  rng.fillUniform(out, low, high);
  return out;
}

function assertGradient(
  name: string,
  f: (x: Float64Array) => number,
  x: Float64Array,
  analytic: Float64Array,
): void {
  const result = gradCheck(f, x, analytic);
  assert.ok(result.maxRelativeError < 1e-4, `${name}: ${JSON.stringify(result)}`);
}

test("mseLoss is the mean squared error with gradient 2(pred − target)/n", () => {
  const grad = new Float64Array(2);
  assert.equal(mseLoss(Float64Array.of(1, 2), Float64Array.of(0, 0), 2, grad), 2.5);
  assert.deepEqual(Array.from(grad), [1, 2]);

  const rng = new Rng(51);
  const pred = uniform(rng, 7);
  const target = uniform(rng, 7);
  const analytic = new Float64Array(7);
  mseLoss(pred, target, 7, analytic);
  assertGradient("mse", (p) => mseLoss(p, target, 7, null), pred, analytic);
});

test("reparameterisation z = mean + exp(logStd)·eps passes a gradient check", () => {
  const rng = new Rng(52);
  const n = 6;
  const [mean, logStd, eps, c] = [uniform(rng, n), uniform(rng, n), uniform(rng, n), uniform(rng, n)];
  const z = new Float64Array(n);
  // loss = Σ c·z + 0.5·Σ z², dLoss/dz = c + z
  const loss = (): number => {
    reparameterize(mean, logStd, eps, z, n);
    return z.reduce((sum, v, i) => sum + c[i] * v + 0.5 * v * v, 0);
  };
  loss();
  assert.ok(Math.abs(z[0] - (mean[0] + Math.exp(logStd[0]) * eps[0])) < 1e-15);
  const dz = z.map((v, i) => c[i] + v);
  const [gradMean, gradLogStd] = [new Float64Array(n), new Float64Array(n)];
  reparameterizeBackward(logStd, eps, dz, gradMean, gradLogStd, n);
  assertGradient("reparameterize w.r.t. mean", loss, mean, gradMean);
  assertGradient("reparameterize w.r.t. logStd", loss, logStd, gradLogStd);
});

test("KL to N(0, 1) through the log-std clamp: value, gradients, zero gradient where clamped", () => {
  const zeros = new Float64Array(3);
  assert.ok(klToStandardNormal(zeros, zeros, 3, new Float64Array(3), new Float64Array(3), 1) === 0);
  // mean 1, logStd 0: KL per entry = 0.5·mean² = 0.5
  const one = Float64Array.of(1);
  const kl = klToStandardNormal(one, Float64Array.of(0), 1, new Float64Array(1), new Float64Array(1), 1);
  assert.ok(Math.abs(kl - 0.5) < 1e-15);

  const n = 5;
  const mean = Float64Array.of(0.3, -1.1, 0.7, 0, 2);
  const rawLogStd = Float64Array.of(LOG_STD_MIN - 1, -0.4, 0.8, LOG_STD_MAX + 1, -2.5);
  const logStd = new Float64Array(n);
  const weight = 0.5;
  const loss = (): number => {
    clamp(rawLogStd, logStd, n, LOG_STD_MIN, LOG_STD_MAX);
    return weight * klToStandardNormal(mean, logStd, n, new Float64Array(n), new Float64Array(n), 1);
  };
  loss();
  const [gradMean, gradLogStd] = [new Float64Array(n), new Float64Array(n)];
  klToStandardNormal(mean, logStd, n, gradMean, gradLogStd, weight);
  clampBackward(rawLogStd, gradLogStd, n, LOG_STD_MIN, LOG_STD_MAX);
  assert.equal(gradLogStd[0], 0);
  assert.equal(gradLogStd[3], 0);
  assert.ok(gradLogStd[1] !== 0);
  // exp(2·15) would swamp every other term of the finite differences: check the rest at 1.2.
  rawLogStd[3] = 1.2;
  loss();
  gradMean.fill(0);
  gradLogStd.fill(0);
  klToStandardNormal(mean, logStd, n, gradMean, gradLogStd, weight);
  clampBackward(rawLogStd, gradLogStd, n, LOG_STD_MIN, LOG_STD_MAX);
  assertGradient("KL w.r.t. mean", loss, mean, gradMean);
  assertGradient("KL w.r.t. raw logStd", loss, rawLogStd, gradLogStd);
});

test("a VAE-like loss (encoder → mean/logStd → reparam → decoder → MSE + 0.5·KL) passes a gradient check", () => {
  const [rows, stateDim, actionDim, latent] = [4, 3, 2, 2];
  const rng = new Rng(53);
  const common = {
    hiddenActivation: "relu",
    dtype: "float64",
    kernels: referenceKernels,
    maxBatch: rows,
  } as const;
  const encoder = new Mlp(
    { ...common, sizes: [stateDim + actionDim, 8, 2 * latent], outputActivation: "identity" },
    rng,
  );
  const decoder = new Mlp(
    { ...common, sizes: [stateDim + latent, 8, actionDim], outputActivation: "tanh" },
    rng,
  );
  const state = uniform(rng, rows * stateDim);
  const action = uniform(rng, rows * actionDim, -0.9, 0.9);
  const eps = new Float64Array(rows * latent);
  rng.fillNormal(eps);

  const encoderIn = new Float64Array(rows * (stateDim + actionDim));
  const decoderIn = new Float64Array(rows * (stateDim + latent));
  const [mean, rawLogStd, logStd, z] = [0, 1, 2, 3].map(() => new Float64Array(rows * latent));
  const n = rows * latent;

  const forward = (): number => {
    // [rows, S] ++ [rows, A] -> [rows, S + A]
    copyColumns(state, stateDim, 0, encoderIn, stateDim + actionDim, 0, rows, stateDim);
    copyColumns(action, actionDim, 0, encoderIn, stateDim + actionDim, stateDim, rows, actionDim);
    const head = encoder.forward(encoderIn, rows);
    // [rows, 2L] -> mean [rows, L], rawLogStd [rows, L]
    copyColumns(head, 2 * latent, 0, mean, latent, 0, rows, latent);
    copyColumns(head, 2 * latent, latent, rawLogStd, latent, 0, rows, latent);
    clamp(rawLogStd, logStd, n, LOG_STD_MIN, LOG_STD_MAX);
    reparameterize(mean, logStd, eps, z, n);
    copyColumns(state, stateDim, 0, decoderIn, stateDim + latent, 0, rows, stateDim);
    copyColumns(z, latent, 0, decoderIn, stateDim + latent, stateDim, rows, latent);
    const recon = decoder.forward(decoderIn, rows);
    const kl = klToStandardNormal(mean, logStd, n, new Float64Array(n), new Float64Array(n), 1);
    return mseLoss(recon, action, rows * actionDim, null) + 0.5 * kl;
  };

  forward();
  const dRecon = new Float64Array(rows * actionDim);
  mseLoss(decoder.forward(decoderIn, rows), action, rows * actionDim, dRecon);
  const dDecoderIn = decoder.backward(dRecon, rows, { needInputGrad: true });
  assert.ok(dDecoderIn !== null);
  const dz = new Float64Array(n);
  copyColumns(dDecoderIn, stateDim + latent, stateDim, dz, latent, 0, rows, latent);
  const [gradMean, gradLogStd] = [new Float64Array(n), new Float64Array(n)];
  reparameterizeBackward(logStd, eps, dz, gradMean, gradLogStd, n);
  klToStandardNormal(mean, logStd, n, gradMean, gradLogStd, 0.5);
  clampBackward(rawLogStd, gradLogStd, n, LOG_STD_MIN, LOG_STD_MAX);
  const dHead = new Float64Array(rows * 2 * latent);
  copyColumns(gradMean, latent, 0, dHead, 2 * latent, 0, rows, latent);
  copyColumns(gradLogStd, latent, 0, dHead, 2 * latent, latent, rows, latent);
  encoder.backward(dHead, rows);

  assertGradient(
    "VAE w.r.t. decoder params",
    forward,
    decoder.params as Float64Array,
    decoder.grads.slice() as Float64Array,
  );
  assertGradient(
    "VAE w.r.t. encoder params",
    forward,
    encoder.params as Float64Array,
    encoder.grads.slice() as Float64Array,
  );
});
