import assert from "node:assert/strict";
import { test } from "node:test";
import { isMtfError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { gradCheck } from "./gradcheck.js";
import { Linear } from "./linear.js";
import { referenceKernels } from "./reference-kernels.js";

const [ROWS, IN, OUT] = [4, 3, 5];

function setup(activation: "identity" | "relu" | "tanh") {
  const rng = new Rng(21);
  const count = Linear.paramCount(IN, OUT);
  const params = new Float64Array(count);
  const grads = new Float64Array(count);
  const layer = new Linear({ inDim: IN, outDim: OUT, activation, params, grads, kernels: referenceKernels });
  layer.initialize(rng);
  const x = new Float64Array(ROWS * IN);
  rng.fillUniform(x, -1, 1);
  const c = new Float64Array(ROWS * OUT);
  rng.fillUniform(c, -1, 1);
  const y = new Float64Array(ROWS * OUT);
  // loss = Σ c·y + 0.5·Σ y², so dLoss/dy = c + y
  const loss = (): number => {
    layer.forward(x, y, ROWS);
    let sum = 0;
    for (let i = 0; i < y.length; i++) sum += c[i] * y[i] + 0.5 * y[i] * y[i];
    return sum;
  };
  const backward = (): Float64Array => {
    loss();
    const dy = y.map((v, i) => c[i] + v);
    const dx = new Float64Array(ROWS * IN);
    layer.backward(x, y, dy, dx, ROWS, "overwrite");
    return dx;
  };
  return { layer, params, grads, x, loss, backward };
}

for (const activation of ["identity", "relu", "tanh"] as const) {
  test(`Linear (${activation}) gradients w.r.t. W, b and input pass a float64 gradient check`, () => {
    const { params, grads, x, loss, backward } = setup(activation);
    const dx = backward();
    const wrtParams = gradCheck(loss, params, grads);
    assert.ok(wrtParams.maxRelativeError < 1e-4, `params: ${JSON.stringify(wrtParams)}`);
    const wrtInput = gradCheck(loss, x, dx);
    assert.ok(wrtInput.maxRelativeError < 1e-4, `input: ${JSON.stringify(wrtInput)}`);
  });
}

test("Linear lays out its slice as W [in x out] then b [out] and initialises like torch nn.Linear", () => {
  const { layer, params } = setup("identity");
  assert.equal(layer.weight.length, IN * OUT);
  assert.equal(layer.bias.length, OUT);
  assert.equal(layer.weight.buffer, params.buffer);
  assert.equal(layer.bias.byteOffset, IN * OUT * 8);
  const bound = 1 / Math.sqrt(IN);
  assert.ok(params.every((p) => p >= -bound && p < bound));
});

test("Linear refuses a parameter slice of the wrong size", () => {
  assert.throws(
    () =>
      new Linear({
        inDim: 2,
        outDim: 2,
        activation: "relu",
        params: new Float64Array(5),
        grads: new Float64Array(6),
        kernels: referenceKernels,
      }),
    (error: unknown) => isMtfError(error, "SHAPE_MISMATCH"),
  );
});
