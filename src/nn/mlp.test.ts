import assert from "node:assert/strict";
import { test } from "node:test";
import { isMtfError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { Adam } from "./adam.js";
import { backendInfo } from "./backend.js";
import { gradCheck } from "./gradcheck.js";
import type { Activation } from "./kernels.js";
import { mseLoss } from "./losses.js";
import { Mlp, type MlpArgs } from "./mlp.js";
import { referenceKernels } from "./reference-kernels.js";

function float64Mlp(sizes: readonly number[], outputActivation: Activation, seed: number): Mlp {
  return new Mlp(
    {
      sizes,
      hiddenActivation: "relu",
      outputActivation,
      dtype: "float64",
      kernels: referenceKernels,
      maxBatch: 4,
    },
    new Rng(seed),
  );
}

for (const outputActivation of ["identity", "tanh"] as const) {
  test(`Mlp (relu hidden, ${outputActivation} output) gradients w.r.t. params and input pass a gradient check`, () => {
    const rng = new Rng(31);
    const mlp = float64Mlp([3, 8, 6, 2], outputActivation, 32);
    const rows = 5; // more than maxBatch: also exercises buffer growth
    const x = new Float64Array(rows * 3);
    rng.fillUniform(x, -1, 1);
    const target = new Float64Array(rows * 2);
    rng.fillUniform(target, -1, 1);
    const loss = (): number => mseLoss(mlp.forward(x, rows), target, rows * 2, null);

    const dOut = new Float64Array(rows * 2);
    mseLoss(mlp.forward(x, rows), target, rows * 2, dOut);
    const dInput = mlp.backward(dOut, rows, { needInputGrad: true });
    assert.ok(dInput !== null);
    const dx = dInput.slice(0, rows * 3);
    const grads = mlp.grads.slice();

    const wrtParams = gradCheck(loss, mlp.params as Float64Array, grads);
    assert.ok(wrtParams.maxRelativeError < 1e-4, `params: ${JSON.stringify(wrtParams)}`);
    const wrtInput = gradCheck(loss, x, dx);
    assert.ok(wrtInput.maxRelativeError < 1e-4, `input: ${JSON.stringify(wrtInput)}`);
  });
}

test("backward overwrites, accumulates or skips parameter gradients as asked", () => {
  const mlp = float64Mlp([2, 4, 1], "identity", 33);
  const x = Float64Array.of(0.1, -0.4, 0.7, 0.2);
  const dOut = Float64Array.of(1, -0.5);
  mlp.forward(x, 2);
  mlp.backward(dOut, 2);
  const once = mlp.grads.slice();
  mlp.backward(dOut, 2);
  assert.deepEqual(mlp.grads, once, "overwrite is the default");
  mlp.backward(dOut, 2, { paramGrads: "accumulate" });
  assert.deepEqual(
    mlp.grads,
    once.map((g) => 2 * g),
  );
  const dInput = mlp.backward(dOut, 2, { paramGrads: "skip", needInputGrad: true })?.slice(0, 4);
  assert.deepEqual(
    mlp.grads,
    once.map((g) => 2 * g),
    "skip leaves grads untouched",
  );
  const reference = mlp.backward(dOut, 2, { needInputGrad: true })?.slice(0, 4);
  assert.deepEqual(dInput, reference);
  assert.deepEqual(Array.from(dOut), [1, -0.5], "dOut is not modified");
  mlp.zeroGrad();
  assert.ok(mlp.grads.every((g) => g === 0));
});

test("backward refuses a batch that does not match the last forward", () => {
  const mlp = float64Mlp([2, 3, 1], "identity", 34);
  assert.throws(
    () => mlp.backward(new Float64Array(2), 2),
    (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"),
  );
  mlp.forward(new Float64Array(6), 3);
  assert.throws(
    () => mlp.backward(new Float64Array(2), 2),
    (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"),
  );
});

test("the constructor validates its arguments and says how to fix them", () => {
  const base: MlpArgs = {
    sizes: [2, 3, 1],
    hiddenActivation: "relu",
    outputActivation: "identity",
    maxBatch: 8,
  };
  const cases: ReadonlyArray<readonly [Partial<MlpArgs> | Record<string, unknown>, string, RegExp]> = [
    [{ sizes: [4] }, "INVALID_ARGUMENT", /at least two positive integer widths/],
    [{ sizes: [4, 0, 1] }, "INVALID_ARGUMENT", /e\.g\. \[stateDim, 400, 300, 1\]/],
    [
      { outputActivation: "sigmoid" },
      "INVALID_ARGUMENT",
      /outputActivation must be one of identity, relu, tanh/,
    ],
    [{ maxBatch: 0 }, "INVALID_ARGUMENT", /maxBatch must be a positive integer/],
    [{ dtype: "float16" }, "INVALID_ARGUMENT", /dtype must be "float32" or "float64"/],
    [
      { dtype: "float64", kernels: { ...referenceKernels, name: "native-avx2", supportsFloat64: false } },
      "NOT_IMPLEMENTED_FOR_DTYPE",
      /pass kernels: referenceKernels/,
    ],
  ];
  for (const [override, code, message] of cases) {
    assert.throws(
      () => new Mlp({ ...base, kernels: referenceKernels, ...override } as MlpArgs, new Rng(1)),
      (e: unknown) => isMtfError(e) && e.code === code && message.test(e.message),
      JSON.stringify(override),
    );
  }
});

test("parameters live in one flat array, initialised within ±1/√in per layer", () => {
  const mlp = float64Mlp([4, 16, 2], "identity", 35);
  assert.equal(mlp.numParams, 4 * 16 + 16 + 16 * 2 + 2);
  assert.equal(mlp.params.length, mlp.numParams);
  for (const layer of mlp.layers) {
    assert.equal(layer.weight.buffer, mlp.params.buffer);
    const bound = 1 / Math.sqrt(layer.inDim);
    assert.ok(
      layer.weight.every((w) => Math.abs(w) <= bound) && layer.bias.every((b) => Math.abs(b) <= bound),
    );
  }
});

test("copyParamsFrom and setParams copy values, and refuse other shapes", () => {
  const a = float64Mlp([2, 5, 1], "identity", 36);
  const b = float64Mlp([2, 5, 1], "identity", 37);
  assert.notDeepEqual(a.params, b.params);
  a.copyParamsFrom(b);
  assert.deepEqual(a.params, b.params);
  assert.throws(
    () => a.copyParamsFrom(float64Mlp([2, 4, 1], "identity", 1)),
    (e: unknown) => isMtfError(e, "SHAPE_MISMATCH"),
  );
  assert.throws(
    () => a.setParams(new Float64Array(3)),
    (e: unknown) => isMtfError(e, "SHAPE_MISMATCH"),
  );
});

/** y = sin(x1) + 0.5·x2 on [-1, 1]². */
function sampleRegression(rng: Rng, x: Float32Array, y: Float32Array, rows: number): void {
  for (let r = 0; r < rows; r++) {
    const x1 = rng.uniformIn(-1, 1);
    const x2 = rng.uniformIn(-1, 1);
    x[2 * r] = x1;
    x[2 * r + 1] = x2;
    y[r] = Math.sin(x1) + 0.5 * x2;
  }
}

/** Trains a 2-32-32-1 MLP with Adam on fresh mini-batches; returns the network. */
function trainRegression(seed: number, steps: number): Mlp {
  const rng = new Rng(seed);
  const batch = 64;
  const mlp = new Mlp(
    { sizes: [2, 32, 32, 1], hiddenActivation: "relu", outputActivation: "identity", maxBatch: batch },
    rng,
  );
  const adam = new Adam(mlp, { lr: 3e-3 });
  const x = new Float32Array(batch * 2);
  const y = new Float32Array(batch);
  const dOut = new Float32Array(batch);
  for (let step = 0; step < steps; step++) {
    sampleRegression(rng, x, y, batch);
    mseLoss(mlp.forward(x, batch), y, batch, dOut);
    mlp.backward(dOut, batch);
    adam.update();
  }
  return mlp;
}

test("a 2-32-32-1 MLP learns y = sin(x1) + 0.5·x2 to test MSE < 1e-4 (active backend)", () => {
  const mlp = trainRegression(41, 3000);
  const rows = 1000;
  const x = new Float32Array(rows * 2);
  const y = new Float32Array(rows);
  sampleRegression(new Rng(999), x, y, rows);
  const testMse = mseLoss(mlp.forward(x, rows), y, rows, null);
  console.log(
    `# backend ${backendInfo().name}: test MSE ${testMse.toExponential(3)} (target variance ≈ 0.35)`,
  );
  assert.ok(testMse < 1e-4, `test MSE ${testMse}`);
});

test("two training runs with the same seed give bit-identical weights", () => {
  const a = trainRegression(7, 200);
  const b = trainRegression(7, 200);
  assert.deepEqual(new Uint8Array(a.params.buffer), new Uint8Array(b.params.buffer));
  const c = trainRegression(8, 200);
  assert.notDeepEqual(a.params, c.params);
});
