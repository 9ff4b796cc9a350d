import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isMtfError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { Dropout, DropoutMlp, sampleDropoutMask, sampleMoments } from "./dropout.js";
import { gradCheck } from "./gradcheck.js";
import { mseLoss } from "./losses.js";
import { Mlp } from "./mlp.js";
import { referenceKernels } from "./reference-kernels.js";

function float64DropoutMlp(rate: number, seed: number): DropoutMlp {
  return new DropoutMlp(
    {
      sizes: [3, 8, 6, 2],
      hiddenActivation: "relu",
      outputActivation: "identity",
      dtype: "float64",
      kernels: referenceKernels,
      maxBatch: 4,
      dropout: rate,
    },
    new Rng(seed),
  );
}

describe("dropout masks", () => {
  it("zero a fraction p of the entries and scale the rest by 1/(1 − p)", () => {
    const n = 20_000;
    const mask = new Float64Array(n);
    sampleDropoutMask(new Rng(1), mask, n, 0.25);
    let zeros = 0;
    for (const m of mask) {
      if (m === 0) zeros += 1;
      else assert.equal(m, 1 / 0.75);
    }
    // Binomial(20000, 0.25): sd ≈ 61, so ±300 is ~5 sd.
    assert.ok(Math.abs(zeros - 5000) < 300, `${zeros} zeros`);
    const mean = mask.reduce((a, b) => a + b, 0) / n;
    assert.ok(Math.abs(mean - 1) < 0.02, `E[mask] = ${mean}, inverted dropout keeps it 1`);
  });

  it("drop units independently: the drop rate and adjacent-pair rate match p and p² at p = 0.1 and 0.5", () => {
    const n = 200_000;
    const mask = new Float32Array(n);
    for (const p of [0.1, 0.5]) {
      sampleDropoutMask(new Rng(9), mask, n, p);
      let dropped = 0;
      let pairs = 0;
      for (let i = 0; i < n; i++) {
        if (mask[i] === 0) dropped += 1;
        if (i > 0 && mask[i] === 0 && mask[i - 1] === 0) pairs += 1;
      }
      // 5 binomial standard deviations.
      const tolerance = (q: number) => 5 * Math.sqrt((q * (1 - q)) / n);
      assert.ok(Math.abs(dropped / n - p) < tolerance(p), `p ${p}: drop rate ${dropped / n}`);
      assert.ok(
        Math.abs(pairs / (n - 1) - p * p) < 2 * tolerance(p * p),
        `p ${p}: pair rate ${pairs / (n - 1)}`,
      );
    }
  });

  it("replay from the RNG state; rate 0 draws nothing", () => {
    const a = new Float32Array(50);
    const b = new Float32Array(50);
    sampleDropoutMask(new Rng(7), a, 50, 0.5);
    sampleDropoutMask(new Rng(7), b, 50, 0.5);
    assert.deepEqual(a, b);
    const rng = new Rng(3);
    const before = rng.getState();
    sampleDropoutMask(rng, a, 50, 0);
    assert.deepEqual(rng.getState(), before);
    assert.ok(a.every((m) => m === 1));
    assert.throws(
      () => sampleDropoutMask(rng, a, 50, 1),
      (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"),
    );
  });

  it("the Dropout layer is the identity without an RNG and masks its gradient with one", () => {
    const layer = new Dropout(0.5, "float64");
    const x = Float64Array.from({ length: 10 }, (_, i) => i + 1);
    assert.deepEqual(layer.forward(x, 10, null).slice(0, 10), x);
    const y = layer.forward(x, 10, new Rng(2)).slice(0, 10);
    const mask = layer.lastMask.slice(0, 10);
    assert.ok(mask.some((m) => m === 0) && mask.some((m) => m === 2));
    for (let i = 0; i < 10; i++) assert.equal(y[i], x[i] * mask[i]);
    const dIn = layer.backward(new Float64Array(10).fill(1), 10).slice(0, 10);
    assert.deepEqual(dIn, mask);
  });
});

describe("DropoutMlp", () => {
  it("gradients w.r.t. params and input pass a gradient check with the masks held fixed", () => {
    const net = float64DropoutMlp(0.3, 11);
    const rows = 5;
    const rng = new Rng(12);
    const x = new Float64Array(rows * 3);
    rng.fillUniform(x, -1, 1);
    const target = new Float64Array(rows * 2);
    rng.fillUniform(target, -1, 1);
    // The same masks in every evaluation: replay the mask RNG from one state.
    const maskState = new Rng(13).getState();
    const masks = new Rng(0);
    const loss = (): number => {
      masks.setState(maskState);
      return mseLoss(net.forward(x, rows, masks), target, rows * 2, null);
    };
    const dOut = new Float64Array(rows * 2);
    masks.setState(maskState);
    mseLoss(net.forward(x, rows, masks), target, rows * 2, dOut);
    assert.ok(
      net
        .mask(1)
        .subarray(0, rows * 8)
        .some((m) => m === 0),
      "some units are dropped, so the check covers the masks",
    );
    const dx = (net.backward(dOut, rows, { needInputGrad: true }) as Float64Array).slice(0, rows * 3);
    const grads = net.grads.slice();
    const wrtParams = gradCheck(loss, net.params as Float64Array, grads);
    assert.ok(wrtParams.maxRelativeError < 1e-4, `params: ${JSON.stringify(wrtParams)}`);
    const wrtInput = gradCheck(loss, x, dx);
    assert.ok(wrtInput.maxRelativeError < 1e-4, `input: ${JSON.stringify(wrtInput)}`);
  });

  it("the unmasked pass equals the underlying Mlp, and dropout 0 equals it with an RNG too", () => {
    const net = float64DropoutMlp(0.3, 21);
    const zero = float64DropoutMlp(0, 21);
    const x = Float64Array.of(0.2, -0.1, 0.7, 0.5, 0.3, -0.9);
    const plain = net.mlp.forward(x, 2).slice(0, 4);
    assert.deepEqual(net.forward(x, 2, null).slice(0, 4), plain);
    assert.deepEqual(zero.forward(x, 2, new Rng(1)).slice(0, 4), plain);
    // Backward of the unmasked pass equals the Mlp's.
    const dOut = Float64Array.of(1, -2, 0.5, 0.25);
    net.mlp.forward(x, 2);
    const mlpDx = (net.mlp.backward(dOut, 2, { needInputGrad: true }) as Float64Array).slice(0, 6);
    const mlpGrads = net.grads.slice();
    net.forward(x, 2, null);
    const dx = (net.backward(dOut, 2, { needInputGrad: true }) as Float64Array).slice(0, 6);
    assert.deepEqual(dx, mlpDx);
    assert.deepEqual(net.grads.slice(), mlpGrads);
  });

  it("Monte-Carlo samples differ per copy, replay from the RNG and average to about the unmasked output", () => {
    const net = new DropoutMlp(
      {
        sizes: [2, 64, 64, 1],
        hiddenActivation: "relu",
        outputActivation: "identity",
        maxBatch: 8,
        dropout: 0.1,
      },
      new Rng(31),
    );
    const x = Float32Array.of(0.5, -0.5, -0.3, 0.8);
    const K = 400;
    const out = net.forwardSamples(x, 2, K, new Rng(5)).slice(0, 2 * K);
    const again = net.forwardSamples(x, 2, K, new Rng(5)).slice(0, 2 * K);
    assert.deepEqual(out, again);
    const mean = new Float64Array(2);
    const variance = new Float64Array(2);
    sampleMoments(out, 2, K, mean, variance);
    const plain = net.forward(x, 2, null).slice(0, 2);
    for (let r = 0; r < 2; r++) {
      assert.ok(variance[r] > 0, "dropout makes the copies differ");
      const se = Math.sqrt(variance[r] / K);
      // Inverted dropout is unbiased for the first layer; ReLU makes the rest only approximately so.
      assert.ok(
        Math.abs(mean[r] - plain[r]) < 5 * se + 0.05 * Math.abs(plain[r]),
        `row ${r}: ${mean[r]} vs ${plain[r]}`,
      );
    }
  });

  it("shares its parameters with .mlp, so optimisers and checkpoints see one Mlp", () => {
    const net = float64DropoutMlp(0.1, 41);
    assert.equal(net.params, net.mlp.params);
    assert.equal(net.grads, net.mlp.grads);
    assert.ok(net.mlp instanceof Mlp);
    assert.throws(
      () => net.backward(new Float64Array(2), 1),
      (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"),
    );
  });
});

describe("sampleMoments", () => {
  it("computes per-row mean and unbiased variance", () => {
    const mean = new Float64Array(2);
    const variance = new Float64Array(2);
    sampleMoments(Float64Array.of(1, 2, 3, 4, 5, 5, 5, 5), 2, 4, mean, variance);
    assert.deepEqual([...mean], [2.5, 5]);
    assert.deepEqual([...variance], [5 / 3, 0]);
  });
});
