import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { isMtfError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import type { Activation, Kernels } from "./kernels.js";
import { getNativeThreads, loadNativeKernels, nativeLoadError, setNativeThreads } from "./native-kernels.js";

const loaded = loadNativeKernels();
const skip = loaded === null ? `native addon unavailable: ${nativeLoadError()}` : false;
if (loaded === null) console.log(`# skipping native kernel tests: ${nativeLoadError()}`);
const nk = loaded as Kernels;

const TOL = 1e-5;

// ---- float64 references and helpers ----

function normal(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  rng.fillNormal(out);
  return out;
}

/** C = alpha·op(A)·op(B) + beta·C in float64, all row-major (A stored [k x m] when transA, B [n x k] when transB). */
function refGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  b: Float32Array,
  beta: number,
  c: Float32Array,
): Float64Array {
  // op(A)(i, p) = a[i * aRow + p * aCol]; op(B)(p, j) = b[p * bRow + j * bCol]
  const [aRow, aCol] = transA ? [1, m] : [k, 1];
  const [bRow, bCol] = transB ? [1, k] : [n, 1];
  const out = new Float64Array(m * n);
  const column = new Float64Array(k);
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < k; p++) column[p] = b[p * bRow + j * bCol];
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let p = 0, ai = i * aRow; p < k; p++, ai += aCol) s += a[ai] * column[p];
      out[i * n + j] = alpha * s + (beta === 0 ? 0 : beta * c[i * n + j]);
    }
  }
  return out;
}

function act64(v: number, act: Activation): number {
  if (act === "relu") return Math.max(v, 0);
  if (act === "tanh") return Math.tanh(v);
  return v;
}

/** ‖got − want‖ / ‖want‖ over the first n entries (absolute when want is all zeros). */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>, n = want.length): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const d = got[i] - want[i];
    num += d * d;
    den += want[i] * want[i];
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, n = want.length): void {
  const err = relErr(got, want, n);
  assert.ok(err < TOL, `${what}: relative error ${err.toExponential(2)} >= ${TOL}`);
}

function sameBytes(x: Float32Array, y: Float32Array): boolean {
  return (
    Buffer.compare(
      Buffer.from(x.buffer, x.byteOffset, x.byteLength),
      Buffer.from(y.buffer, y.byteOffset, y.byteLength),
    ) === 0
  );
}

// Shapes mixing 1, 7, 255, 257 and 750 (several k-blocks, edge tiles in both directions).
const SHAPES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1],
  [7, 7, 7],
  [1, 750, 255],
  [750, 1, 257],
  [255, 257, 7],
  [257, 7, 255],
  [7, 750, 257],
  [255, 1, 750],
  [16, 17, 750],
  [257, 255, 1],
  [130, 40, 750],
  [61, 100, 257],
];
const SCALARS: readonly (readonly [number, number])[] = [
  [1, 0],
  [0.5, 0],
  [-1.5, 0.25],
  [1, 1],
  [2, -1],
];
const TRANSPOSES: readonly (readonly [boolean, boolean])[] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

test("native kernels report their instruction set", { skip }, () => {
  assert.match(nk.name, /^native-(avx512|avx2|generic)$/);
  assert.equal(nk.supportsFloat64, false);
  assert.ok(getNativeThreads() >= 1);
});

test("gemm matches a float64 reference in all transpose combinations", { skip }, () => {
  const rng = new Rng(1);
  let caseIndex = 0;
  for (const [transA, transB] of TRANSPOSES) {
    for (const [m, n, k] of SHAPES) {
      const [alpha, beta] = SCALARS[caseIndex++ % SCALARS.length];
      const a = normal(rng, m * k);
      const b = normal(rng, k * n);
      const c = normal(rng, m * n);
      const want = refGemm(transA, transB, m, n, k, alpha, a, b, beta, c);
      nk.gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
      assertClose(
        c,
        want,
        `gemm ${transA ? "T" : "N"}${transB ? "T" : "N"} ${m}x${n}x${k} a=${alpha} b=${beta}`,
      );
    }
  }
});

test("gemm with beta = 0 does not read C (NaN does not propagate)", { skip }, () => {
  const rng = new Rng(2);
  for (const [transA, transB] of TRANSPOSES) {
    for (const [m, n, k] of [
      [257, 255, 7],
      [1, 750, 255],
      [750, 1, 257],
      [7, 7, 750],
    ] as const) {
      const a = normal(rng, m * k);
      const b = normal(rng, k * n);
      const c = new Float32Array(m * n).fill(Number.NaN);
      nk.gemm(transA, transB, m, n, k, 1.25, a, b, 0, c);
      assert.ok(
        c.every((v) => Number.isFinite(v)),
        `NaN leaked from C in ${m}x${n}x${k}`,
      );
      assertClose(c, refGemm(transA, transB, m, n, k, 1.25, a, b, 0, c), `gemm beta=0 ${m}x${n}x${k}`);
    }
  }
});

test("gemm with alpha = 0 or k = 0 scales C by beta", { skip }, () => {
  const rng = new Rng(3);
  const [m, n] = [9, 20];
  const c = normal(rng, m * n);
  const c0 = Float64Array.from(c);
  nk.gemm(false, false, m, n, 0, 1, new Float32Array(0), new Float32Array(0), 0.5, c);
  assertClose(
    c,
    c0.map((v) => 0.5 * v),
    "k = 0",
  );
  const a = normal(rng, m * 4);
  const b = normal(rng, 4 * n);
  nk.gemm(false, false, m, n, 4, 0, a, b, 0, c);
  assert.ok(c.every((v) => v === 0));
});

test("gemm only touches the leading m x n entries of C", { skip }, () => {
  const rng = new Rng(4);
  const [m, n, k] = [13, 21, 30];
  const a = normal(rng, m * k);
  const b = normal(rng, k * n);
  const c = new Float32Array(m * n + 17).fill(7);
  nk.gemm(false, false, m, n, k, 1, a, b, 0, c);
  assert.ok(c.subarray(m * n).every((v) => v === 7));
});

test("linearForward fuses bias and activation", { skip }, () => {
  const rng = new Rng(5);
  for (const act of ["identity", "relu", "tanh"] as const) {
    for (const [rows, inDim, outDim] of [
      [64, 140, 256],
      [10, 128, 12],
      [1, 257, 7],
      [255, 750, 1],
      [37, 750, 100],
    ] as const) {
      const x = normal(rng, rows * inDim);
      const w = normal(rng, inDim * outDim).map((v) => v / Math.sqrt(inDim));
      const bias = normal(rng, outDim);
      const y = new Float32Array(rows * outDim).fill(Number.NaN);
      nk.linearForward(x, w, bias, y, rows, inDim, outDim, act);
      const want = refGemm(false, false, rows, outDim, inDim, 1, x, w, 0, y);
      for (let i = 0; i < want.length; i++) want[i] = act64(want[i] + bias[i % outDim], act);
      assertClose(y, want, `linearForward ${act} ${rows}x${inDim}->${outDim}`);
    }
  }
});

test("activationBackward multiplies by the activation derivative", { skip }, () => {
  const rng = new Rng(6);
  const n = 100_003; // long enough to be split across threads, with a ragged tail
  for (const act of ["identity", "relu", "tanh"] as const) {
    const pre = normal(rng, n);
    const y = pre.map((v) => act64(v, act));
    const dy = normal(rng, n);
    const want = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const d = act === "relu" ? (y[i] > 0 ? 1 : 0) : act === "tanh" ? 1 - y[i] * y[i] : 1;
      want[i] = dy[i] * d;
    }
    nk.activationBackward(y, dy, n, act);
    assertClose(dy, want, `activationBackward ${act}`);
  }
});

function refLinearBackward(
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  dw0: Float32Array,
  db0: Float32Array,
  rows: number,
  inDim: number,
  outDim: number,
  accumulate: boolean,
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const dw = refGemm(true, false, inDim, outDim, rows, 1, x, dy, accumulate ? 1 : 0, dw0);
  const dx = refGemm(false, true, rows, inDim, outDim, 1, dy, w, 0, new Float32Array(rows * inDim));
  const db = new Float64Array(outDim);
  for (let j = 0; j < outDim; j++) {
    let s = accumulate ? db0[j] : 0;
    for (let r = 0; r < rows; r++) s += dy[r * outDim + j];
    db[j] = s;
  }
  return { dx, dw, db };
}

test("linearBackward computes dW, dB and dX (both accumulate modes, dx optional)", { skip }, () => {
  const rng = new Rng(7);
  for (const [rows, inDim, outDim] of [
    [64, 140, 256],
    [256, 256, 1],
    [1, 30, 70],
    [7, 255, 257],
    [300, 750, 24],
  ] as const) {
    const x = normal(rng, rows * inDim);
    const w = normal(rng, inDim * outDim);
    const dy = normal(rng, rows * outDim);
    for (const accumulate of [false, true]) {
      for (const withDx of [false, true]) {
        const dw = accumulate
          ? normal(rng, inDim * outDim)
          : new Float32Array(inDim * outDim).fill(Number.NaN);
        const db = accumulate ? normal(rng, outDim) : new Float32Array(outDim).fill(Number.NaN);
        const dx = withDx ? new Float32Array(rows * inDim).fill(Number.NaN) : null;
        const want = refLinearBackward(x, w, dy, dw, db, rows, inDim, outDim, accumulate);
        nk.linearBackward(x, w, dy, dx, dw, db, rows, inDim, outDim, accumulate);
        const what = `linearBackward ${rows}x${inDim}->${outDim} accumulate=${accumulate}`;
        assertClose(dw, want.dw, `${what} dW`);
        assertClose(db, want.db, `${what} dB`);
        if (dx !== null) assertClose(dx, want.dx, `${what} dX`);
      }
    }
  }
});

test("adam matches the float64 formula over several steps", { skip }, () => {
  const rng = new Rng(8);
  const n = 70_001;
  const [lr, beta1, beta2, eps] = [0.05, 0.9, 0.999, 1e-8];
  const p = normal(rng, n);
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  const p64 = Float64Array.from(p);
  const p0 = Float64Array.from(p);
  const m64 = new Float64Array(n);
  const v64 = new Float64Array(n);
  for (let step = 1; step <= 5; step++) {
    const g = normal(rng, n);
    nk.adam(p, g, m, v, n, lr, beta1, beta2, eps, step);
    for (let i = 0; i < n; i++) {
      m64[i] = beta1 * m64[i] + (1 - beta1) * g[i];
      v64[i] = beta2 * v64[i] + (1 - beta2) * g[i] * g[i];
      const mHat = m64[i] / (1 - beta1 ** step);
      const vHat = v64[i] / (1 - beta2 ** step);
      p64[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  }
  // Compare the parameter change, not the parameters, so a wrong update cannot hide.
  assertClose(
    p.map((x, i) => x - p0[i]),
    p64.map((x, i) => x - p0[i]),
    "adam params",
  );
  assertClose(m, m64, "adam m");
  assertClose(v, v64, "adam v");
});

test("softUpdate is Polyak averaging", { skip }, () => {
  const rng = new Rng(9);
  const n = 50_000;
  const target = normal(rng, n);
  const source = normal(rng, n);
  const want = new Float64Array(n);
  for (let i = 0; i < n; i++) want[i] = 0.95 * target[i] + 0.05 * source[i];
  nk.softUpdate(target, source, n, 0.05);
  assertClose(target, want, "softUpdate");
});

test("results are bit-identical for 1, 2 and 3 threads", { skip }, () => {
  const saved = getNativeThreads();
  const run = (threads: number): Float32Array[] => {
    setNativeThreads(threads);
    const rng = new Rng(10);
    const outputs: Float32Array[] = [];
    for (const [transA, transB, m, n, k] of [
      [false, false, 256, 256, 256],
      [false, true, 257, 750, 140],
      [true, false, 750, 257, 256],
      [true, true, 100, 300, 770],
      [false, false, 10, 750, 750],
    ] as const) {
      const a = normal(rng, m * k);
      const b = normal(rng, k * n);
      const c = normal(rng, m * n);
      nk.gemm(transA, transB, m, n, k, 0.75, a, b, 0.5, c);
      outputs.push(c);
    }
    const [rows, inDim, outDim] = [256, 140, 256];
    const x = normal(rng, rows * inDim);
    const w = normal(rng, inDim * outDim);
    const bias = normal(rng, outDim);
    const y = new Float32Array(rows * outDim);
    nk.linearForward(x, w, bias, y, rows, inDim, outDim, "relu");
    const dy = normal(rng, rows * outDim);
    const dx = new Float32Array(rows * inDim);
    const dw = normal(rng, inDim * outDim);
    const db = normal(rng, outDim);
    nk.linearBackward(x, w, dy, dx, dw, db, rows, inDim, outDim, true);
    const g = normal(rng, inDim * outDim);
    const mom = new Float32Array(inDim * outDim);
    const vel = new Float32Array(inDim * outDim);
    nk.adam(w, g, mom, vel, inDim * outDim, 1e-3, 0.9, 0.999, 1e-8, 1);
    outputs.push(y, dx, dw, db, w);
    return outputs;
  };
  try {
    const one = run(1);
    for (const threads of [2, 3]) {
      const other = run(threads);
      for (const [i, out] of one.entries()) {
        assert.ok(sameBytes(out, other[i]), `output ${i} differs with ${threads} threads`);
      }
    }
  } finally {
    setNativeThreads(saved);
  }
});

// The child computes the same products on the portable micro-kernel (MTF_NATIVE_ISA=generic).
const CHILD = `
import { readFileSync } from "node:fs";
const { loadNativeKernels } = await import(process.env.MTF_TEST_MODULE);
const k = loadNativeKernels();
const decode = (s) => new Float32Array(new Uint8Array(Buffer.from(s, "base64")).buffer);
const encode = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
const cases = JSON.parse(readFileSync(0, "utf8"));
const out = cases.map((c) => {
  const [a, b, bias] = c.arrays.map(decode);
  if (c.kind === "gemm") {
    const y = new Float32Array(c.m * c.n);
    k.gemm(c.transA, c.transB, c.m, c.n, c.k, 1, a, b, 0, y);
    return encode(y);
  }
  const y = new Float32Array(c.m * c.n);
  k.linearForward(a, b, bias, y, c.m, c.k, c.n, "relu");
  return encode(y);
});
process.stdout.write(JSON.stringify({ name: k.name, out }));
`;

/** The cases below computed by a child process on the micro-kernel MTF_NATIVE_ISA names. */
function otherIsa(
  isa: "generic" | "avx2",
  cases: readonly {
    kind: string;
    transA: boolean;
    transB: boolean;
    m: number;
    n: number;
    k: number;
    arrays: Float32Array[];
  }[],
): { name: string; out: Float32Array[] } {
  const encode = (a: Float32Array): string =>
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
  const child = spawnSync(
    process.execPath,
    ["--import", import.meta.resolve("tsx"), "--input-type=module", "-e", CHILD],
    {
      input: JSON.stringify(cases.map((c) => ({ ...c, arrays: c.arrays.map(encode) }))),
      env: {
        ...process.env,
        MTF_NATIVE_ISA: isa,
        MTF_BACKEND: "native",
        MTF_TEST_MODULE: new URL("./native-kernels.ts", import.meta.url).href,
      },
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  assert.equal(child.status, 0, `child failed: ${child.stderr}`);
  const result = JSON.parse(child.stdout) as { name: string; out: string[] };
  return {
    name: result.name,
    out: result.out.map((s) => new Float32Array(new Uint8Array(Buffer.from(s, "base64")).buffer)),
  };
}

function isaCases(seed: number) {
  const rng = new Rng(seed);
  return [
    ...TRANSPOSES.map(([transA, transB], i) => ({ kind: "gemm", transA, transB, m: 257, n: 75 + i, k: 750 })),
    { kind: "gemm", transA: false, transB: false, m: 10, n: 256, k: 128 },
    { kind: "gemm", transA: false, transB: true, m: 61, n: 100, k: 257 },
    { kind: "gemm", transA: false, transB: false, m: 257, n: 1, k: 750 },
    { kind: "gemm", transA: true, transB: false, m: 1, n: 300, k: 257 },
    { kind: "linear", transA: false, transB: false, m: 256, n: 255, k: 140 },
    { kind: "linear", transA: false, transB: false, m: 2560, n: 750, k: 152 },
  ].map((c) => ({
    ...c,
    arrays: [normal(rng, c.m * c.k), normal(rng, c.k * c.n), normal(rng, c.n)],
  }));
}

function activeResult(c: ReturnType<typeof isaCases>[number]): Float32Array {
  const [a, b, bias] = c.arrays;
  const mine = new Float32Array(c.m * c.n);
  if (c.kind === "gemm") nk.gemm(c.transA, c.transB, c.m, c.n, c.k, 1, a, b, 0, mine);
  else nk.linearForward(a, b, bias, mine, c.m, c.k, c.n, "relu");
  return mine;
}

test("the portable micro-kernel agrees with the active one", { skip }, () => {
  const cases = isaCases(11);
  const generic = otherIsa("generic", cases);
  assert.equal(generic.name, "native-generic");
  cases.forEach((c, i) => {
    assertClose(generic.out[i], activeResult(c), `generic vs ${nk.name}: ${c.kind} ${c.m}x${c.n}x${c.k}`);
  });
});

// The AVX-512 kernel runs the same FMA sequence per element as the AVX2 one, only wider.
test("the AVX-512 micro-kernel is bit-identical to the AVX2 one", {
  skip: skip || (nk.name !== "native-avx512" && "the CPU has no AVX-512F"),
}, () => {
  const cases = isaCases(12);
  const avx2 = otherIsa("avx2", cases);
  assert.equal(avx2.name, "native-avx2");
  cases.forEach((c, i) => {
    assert.ok(
      sameBytes(avx2.out[i], activeResult(c)),
      `avx2 vs avx512 differ: ${c.kind} ${c.m}x${c.n}x${c.k}`,
    );
  });
});

test("bad inputs throw coded errors", { skip }, () => {
  const f = (n: number): Float32Array => new Float32Array(n);
  const expectCode = (fn: () => void, code: string, mentions?: string): void => {
    assert.throws(fn, (error: unknown) => {
      assert.ok(isMtfError(error), `expected an MtfError, got ${String(error)}`);
      assert.equal(error.code, code);
      if (mentions !== undefined) assert.ok(error.message.includes(mentions), error.message);
      return true;
    });
  };
  expectCode(
    () => nk.gemm(false, false, 2, 2, 2, 1, new Float64Array(4), f(4), 0, f(4)),
    "NOT_IMPLEMENTED_FOR_DTYPE",
  );
  expectCode(() => nk.softUpdate(f(3), new Float64Array(3), 3, 0.1), "NOT_IMPLEMENTED_FOR_DTYPE");
  expectCode(() => nk.gemm(false, false, 2, 3, 2, 1, f(4), f(5), 0, f(6)), "SHAPE_MISMATCH", "'b'");
  expectCode(() => nk.gemm(false, false, 2, 3, 2, 1, f(4), f(6), 0, f(5)), "SHAPE_MISMATCH", "'c'");
  expectCode(() => nk.linearForward(f(6), f(6), f(1), f(4), 2, 3, 2, "relu"), "SHAPE_MISMATCH", "'bias'");
  expectCode(
    () => nk.linearBackward(f(6), f(6), f(4), null, f(6), f(1), 2, 3, 2, false),
    "SHAPE_MISMATCH",
    "'db'",
  );
  expectCode(
    () => nk.linearBackward(f(6), f(6), f(4), f(5), f(6), f(2), 2, 3, 2, false),
    "SHAPE_MISMATCH",
    "'dx'",
  );
  expectCode(() => nk.adam(f(4), f(4), f(4), f(3), 4, 1e-3, 0.9, 0.999, 1e-8, 1), "SHAPE_MISMATCH", "'v'");
  expectCode(() => nk.activationBackward(f(4), f(4), 4, "gelu" as Activation), "INVALID_ARGUMENT");
  expectCode(() => nk.gemm(false, false, -1, 2, 2, 1, f(4), f(4), 0, f(4)), "INVALID_ARGUMENT");
  expectCode(() => nk.gemm(false, false, 1.5, 2, 2, 1, f(4), f(4), 0, f(4)), "INVALID_ARGUMENT");
  expectCode(() => setNativeThreads(0), "INVALID_ARGUMENT");
  expectCode(() => setNativeThreads(2.5), "INVALID_ARGUMENT");
});

test("MTF_BACKEND=reference disables the native kernels", { skip }, () => {
  const saved = process.env.MTF_BACKEND;
  process.env.MTF_BACKEND = "reference";
  try {
    assert.equal(loadNativeKernels(), null);
    assert.match(nativeLoadError() ?? "", /MTF_BACKEND=reference/);
  } finally {
    if (saved === undefined) delete process.env.MTF_BACKEND;
    else process.env.MTF_BACKEND = saved;
  }
  assert.equal(loadNativeKernels(), nk);
  assert.equal(nativeLoadError(), null);
});
