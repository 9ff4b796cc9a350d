// The native kernels against the reference kernels, in float32 (normwise relative error < 1e-5).
// Skipped, with the reason printed, when the native addon is not available.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../core/rng.js";
import type { Kernels } from "./kernels.js";
import { referenceKernels as ref } from "./reference-kernels.js";
import { relativeError } from "./tensor.js";

const TOLERANCE = 1e-5;

async function nativeOrReason(): Promise<Kernels | string> {
  try {
    const native = await import("./native-kernels.js");
    return (
      native.loadNativeKernels() ??
      `native kernels unavailable: ${native.nativeLoadError() ?? "unknown reason"}`
    );
  } catch (error) {
    return `native-kernels module failed to load: ${String(error)}`;
  }
}

const nativeKernels = await nativeOrReason();
const skip = typeof nativeKernels === "string" ? nativeKernels : false;
if (skip) console.log(`# skipping native-vs-reference parity: ${skip}`);

function random(rng: Rng, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  rng.fillUniform(out, -scale, scale);
  return out;
}

function native(): Kernels {
  assert.ok(typeof nativeKernels !== "string");
  return nativeKernels;
}

// Odd sizes exercise the edges of blocked kernels; 128 x 256 x 300 spans several blocks.
const SHAPES: ReadonlyArray<readonly [number, number, number]> = [
  [1, 1, 1],
  [3, 5, 7],
  [37, 29, 53],
  [128, 256, 300],
  [257, 65, 17],
];

test("native gemm matches the reference for every transpose combination", { skip }, () => {
  const rng = new Rng(11);
  for (const [m, n, k] of SHAPES) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const [alpha, beta] of [
          [1, 0],
          [0.5, 0.25],
        ]) {
          const a = random(rng, m * k);
          const b = random(rng, k * n);
          const c = random(rng, m * n);
          const expected = c.slice();
          const actual = c.slice();
          ref.gemm(transA, transB, m, n, k, alpha, a, b, beta, expected);
          native().gemm(transA, transB, m, n, k, alpha, a, b, beta, actual);
          const error = relativeError(actual, expected);
          assert.ok(error < TOLERANCE, `${m}x${n}x${k} tA=${transA} tB=${transB} beta=${beta}: ${error}`);
        }
      }
    }
  }
});

test("native linearForward, activationBackward and linearBackward match the reference", { skip }, () => {
  const rng = new Rng(12);
  for (const [rows, inDim, outDim] of SHAPES) {
    const x = random(rng, rows * inDim);
    const w = random(rng, inDim * outDim, 1 / Math.sqrt(inDim));
    const bias = random(rng, outDim, 1 / Math.sqrt(inDim));
    for (const activation of ["identity", "relu", "tanh"] as const) {
      const yRef = new Float32Array(rows * outDim);
      const yNative = new Float32Array(rows * outDim);
      ref.linearForward(x, w, bias, yRef, rows, inDim, outDim, activation);
      native().linearForward(x, w, bias, yNative, rows, inDim, outDim, activation);
      assert.ok(relativeError(yNative, yRef) < TOLERANCE, `forward ${activation} ${rows}x${inDim}x${outDim}`);

      const dy = random(rng, rows * outDim);
      const dyRef = dy.slice();
      const dyNative = dy.slice();
      ref.activationBackward(yRef, dyRef, rows * outDim, activation);
      native().activationBackward(yRef, dyNative, rows * outDim, activation);
      assert.ok(relativeError(dyNative, dyRef) < TOLERANCE, `activationBackward ${activation}`);
    }
    for (const accumulate of [false, true]) {
      const dy = random(rng, rows * outDim);
      const seedDw = random(rng, inDim * outDim);
      const seedDb = random(rng, outDim);
      const [dxRef, dxNative] = [new Float32Array(rows * inDim), new Float32Array(rows * inDim)];
      const [dwRef, dwNative] = [seedDw.slice(), seedDw.slice()];
      const [dbRef, dbNative] = [seedDb.slice(), seedDb.slice()];
      ref.linearBackward(x, w, dy, dxRef, dwRef, dbRef, rows, inDim, outDim, accumulate);
      native().linearBackward(x, w, dy, dxNative, dwNative, dbNative, rows, inDim, outDim, accumulate);
      const label = `linearBackward ${rows}x${inDim}x${outDim} accumulate=${accumulate}`;
      assert.ok(relativeError(dxNative, dxRef) < TOLERANCE, `${label} dx`);
      assert.ok(relativeError(dwNative, dwRef) < TOLERANCE, `${label} dw`);
      assert.ok(relativeError(dbNative, dbRef) < TOLERANCE, `${label} db`);
    }
  }
});

test("native adam and softUpdate match the reference", { skip }, () => {
  const rng = new Rng(13);
  const n = 1001;
  const params = random(rng, n);
  const [pRef, pNative] = [params.slice(), params.slice()];
  const [mRef, mNative, vRef, vNative] = [0, 1, 2, 3].map(() => new Float32Array(n));
  for (let step = 1; step <= 5; step++) {
    const grads = random(rng, n);
    ref.adam(pRef, grads, mRef, vRef, n, 1e-3, 0.9, 0.999, 1e-8, step);
    native().adam(pNative, grads, mNative, vNative, n, 1e-3, 0.9, 0.999, 1e-8, step);
  }
  assert.ok(relativeError(pNative, pRef) < TOLERANCE, "adam params");
  assert.ok(relativeError(mNative, mRef) < TOLERANCE, "adam m");
  assert.ok(relativeError(vNative, vRef) < TOLERANCE, "adam v");

  const source = random(rng, n);
  ref.softUpdate(pRef, source, n, 0.05);
  native().softUpdate(pNative, source, n, 0.05);
  assert.ok(relativeError(pNative, pRef) < TOLERANCE, "softUpdate");
});
