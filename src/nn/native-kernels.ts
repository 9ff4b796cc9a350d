/**
 * The native kernels: the Node-API addon built from `native/` (cache-blocked SGEMM with AVX-512
 * and AVX2/FMA micro-kernels and a portable fallback chosen at run time, fused bias + activation, Adam and friends, a persistent
 * worker pool with a fixed reduction order). Float32 only.
 *
 * Loading never throws: when the addon is missing or broken, `loadNativeKernels` returns null,
 * `nativeLoadError` says why and callers fall back to the reference kernels. `MTF_BACKEND=reference`
 * disables the addon; `MTF_THREADS` sets the default thread count; `MTF_NATIVE_ISA=avx2|generic`
 * (read when the addon loads) forces the AVX2 or the portable micro-kernels.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { isMtfError, MtfError } from "../core/errors.js";
import type { Activation, Kernels, NumArray } from "./kernels.js";

/** The addon's own surface (native/binding.cc); arguments are checked before each call. */
interface NativeAddon {
  readonly isa: string;
  gemm(
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
  ): void;
  linearForward(
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array,
    y: Float32Array,
    rows: number,
    inDim: number,
    outDim: number,
    act: number,
  ): void;
  activationBackward(y: Float32Array, dy: Float32Array, n: number, act: number): void;
  linearBackward(
    x: Float32Array,
    w: Float32Array,
    dy: Float32Array,
    dx: Float32Array | null,
    dw: Float32Array,
    db: Float32Array,
    rows: number,
    inDim: number,
    outDim: number,
    accumulate: boolean,
  ): void;
  adam(
    params: Float32Array,
    grads: Float32Array,
    m: Float32Array,
    v: Float32Array,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    step: number,
  ): void;
  softUpdate(target: Float32Array, source: Float32Array, n: number, eta: number): void;
  setThreads(n: number): void;
  getThreads(): number;
}

/** The most threads the addon's pool accepts (native/thread_pool.h). */
const MAX_THREADS = 256;
/** Dimensions are int32 in the addon. */
const MAX_DIM = 2 ** 31 - 1;

/** The package root: two levels up from src/nn/, or three from dist/src/nn/ when compiled. */
const PACKAGE_ROOT = ((): URL => {
  const up2 = new URL("../../", import.meta.url);
  return up2.pathname.endsWith("/dist/") ? new URL("../", up2) : up2;
})();
/** Where `npm install` (scripts/build-native.js) puts the addon. */
const ADDON_PATH = fileURLToPath(new URL("build/Release/mtf_native.node", PACKAGE_ROOT));

const ACTIVATION_CODES: Readonly<Record<Activation, number>> = { identity: 0, relu: 1, tanh: 2 };

let threadCount = defaultThreads();
let addon: NativeAddon | null = null;
let kernels: Kernels | null = null;
let loadError: string | null = null;
let loadAttempted = false;

function defaultThreads(): number {
  const fromEnv = process.env.MTF_THREADS;
  if (fromEnv !== undefined && fromEnv.trim() !== "") {
    const n = Number(fromEnv);
    if (Number.isInteger(n) && n >= 1 && n <= MAX_THREADS) return n;
    process.emitWarning(
      `MTF_THREADS=${fromEnv} is not an integer in [1, ${MAX_THREADS}]; using the number of CPUs`,
    );
  }
  return Math.min(availableParallelism(), MAX_THREADS);
}

/**
 * The native kernels, or null (with the reason in `nativeLoadError()`) when the addon is not built,
 * cannot be loaded on this platform, or `MTF_BACKEND=reference` disables it.
 */
export function loadNativeKernels(): Kernels | null {
  if (process.env.MTF_BACKEND === "reference") {
    loadError = "disabled by MTF_BACKEND=reference";
    return null;
  }
  if (!loadAttempted) {
    loadAttempted = true;
    try {
      addon = requireAddon();
      addon.setThreads(threadCount);
      kernels = wrapAddon(addon);
      loadError = null;
    } catch (error) {
      addon = null;
      kernels = null;
      loadError = error instanceof Error ? error.message : String(error);
    }
  } else if (kernels !== null) {
    loadError = null;
  }
  return kernels;
}

/** Why the native kernels are unavailable, or null when they loaded (or were not asked for yet). */
export function nativeLoadError(): string | null {
  return loadError;
}

/** Sets how many threads (the caller included) the native kernels use. Results do not depend on it. */
export function setNativeThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `native thread count must be an integer in [1, ${MAX_THREADS}], got ${n}`,
      { details: { threads: n } },
    );
  }
  threadCount = n;
  addon?.setThreads(n);
}

/** The thread count of the native kernels: MTF_THREADS, else the number of CPUs, unless set. */
export function getNativeThreads(): number {
  return threadCount;
}

function requireAddon(): NativeAddon {
  if (!existsSync(ADDON_PATH)) {
    throw new Error(`native addon not built (no ${ADDON_PATH}); run \`npm run build\` to see why`);
  }
  const require = createRequire(import.meta.url);
  const loaded: unknown = require(ADDON_PATH);
  if (!isNativeAddon(loaded)) {
    throw new Error(`${ADDON_PATH} is not the mtf native addon (missing functions); rebuild it`);
  }
  return loaded;
}

function isNativeAddon(value: unknown): value is NativeAddon {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  const functions = [
    "gemm",
    "linearForward",
    "activationBackward",
    "linearBackward",
    "adam",
    "softUpdate",
    "setThreads",
    "getThreads",
  ];
  return typeof record.isa === "string" && functions.every((f) => typeof record[f] === "function");
}

// ---- argument checks (a few comparisons per call: these run on the hot path) ----

function f32(op: string, name: string, array: NumArray, needed: number): Float32Array {
  if (!(array instanceof Float32Array)) {
    throw new MtfError(
      "NOT_IMPLEMENTED_FOR_DTYPE",
      `${op}: the native kernels take Float32Array only, but '${name}' is a ${describe(array)}; ` +
        "use the reference backend (MTF_BACKEND=reference) for float64",
      { details: { op, argument: name } },
    );
  }
  if (array.length < needed) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `${op}: '${name}' has ${array.length} elements but the given dimensions need ${needed}`,
      { details: { op, argument: name, length: array.length, needed } },
    );
  }
  return array;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}

function isDim(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= MAX_DIM;
}

function badDims(op: string, given: Readonly<Record<string, number>>): MtfError {
  const list = Object.entries(given)
    .map(([k, v]) => `${k} = ${v}`)
    .join(", ");
  return new MtfError("INVALID_ARGUMENT", `${op}: dimensions must be non-negative integers, got ${list}`, {
    details: { op, ...given },
  });
}

function activationCode(op: string, act: Activation): number {
  const code = ACTIVATION_CODES[act];
  if (code === undefined) {
    throw new MtfError("INVALID_ARGUMENT", `${op}: unknown activation '${String(act)}'`, {
      details: { op, activation: act },
    });
  }
  return code;
}

/** Errors from inside the addon (only allocation failure once arguments are checked). */
function fromAddon(op: string, error: unknown): MtfError {
  if (isMtfError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MtfError("INTERNAL", `${op}: native kernel failed: ${message}`, { cause: error });
}

function wrapAddon(native: NativeAddon): Kernels {
  const name = `native-${native.isa}`;
  return Object.freeze({
    name,
    supportsFloat64: false,

    gemm(transA, transB, m, n, k, alpha, a, b, beta, c) {
      if (!(isDim(m) && isDim(n) && isDim(k))) throw badDims("gemm", { m, n, k });
      const a32 = f32("gemm", "a", a, m * k);
      const b32 = f32("gemm", "b", b, k * n);
      const c32 = f32("gemm", "c", c, m * n);
      try {
        native.gemm(transA, transB, m, n, k, alpha, a32, b32, beta, c32);
      } catch (error) {
        throw fromAddon("gemm", error);
      }
    },

    linearForward(x, w, bias, y, rows, inDim, outDim, act) {
      const op = "linearForward";
      if (!(isDim(rows) && isDim(inDim) && isDim(outDim))) {
        throw badDims(op, { rows, inDim, outDim });
      }
      const code = activationCode(op, act);
      const x32 = f32(op, "x", x, rows * inDim);
      const w32 = f32(op, "w", w, inDim * outDim);
      const b32 = f32(op, "bias", bias, outDim);
      const y32 = f32(op, "y", y, rows * outDim);
      try {
        native.linearForward(x32, w32, b32, y32, rows, inDim, outDim, code);
      } catch (error) {
        throw fromAddon(op, error);
      }
    },

    activationBackward(y, dy, n, act) {
      const op = "activationBackward";
      if (!isDim(n)) throw badDims(op, { n });
      const code = activationCode(op, act);
      native.activationBackward(f32(op, "y", y, n), f32(op, "dy", dy, n), n, code);
    },

    linearBackward(x, w, dy, dx, dw, db, rows, inDim, outDim, accumulate) {
      const op = "linearBackward";
      if (!(isDim(rows) && isDim(inDim) && isDim(outDim))) {
        throw badDims(op, { rows, inDim, outDim });
      }
      const x32 = f32(op, "x", x, rows * inDim);
      const w32 = f32(op, "w", w, inDim * outDim);
      const dy32 = f32(op, "dy", dy, rows * outDim);
      const dx32 = dx === null ? null : f32(op, "dx", dx, rows * inDim);
      const dw32 = f32(op, "dw", dw, inDim * outDim);
      const db32 = f32(op, "db", db, outDim);
      try {
        native.linearBackward(x32, w32, dy32, dx32, dw32, db32, rows, inDim, outDim, accumulate);
      } catch (error) {
        throw fromAddon(op, error);
      }
    },

    adam(params, grads, m, v, n, lr, beta1, beta2, eps, step) {
      const op = "adam";
      if (!isDim(n)) throw badDims(op, { n });
      if (!Number.isInteger(step) || step < 1) {
        throw new MtfError("INVALID_ARGUMENT", `adam: step must be an integer >= 1, got ${step}`, {
          details: { op, step },
        });
      }
      native.adam(
        f32(op, "params", params, n),
        f32(op, "grads", grads, n),
        f32(op, "m", m, n),
        f32(op, "v", v, n),
        n,
        lr,
        beta1,
        beta2,
        eps,
        step,
      );
    },

    softUpdate(target, source, n, eta) {
      const op = "softUpdate";
      if (!isDim(n)) throw badDims(op, { n });
      native.softUpdate(f32(op, "target", target, n), f32(op, "source", source, n), n, eta);
    },
  } satisfies Kernels);
}
