/**
 * Picks the numeric backend once per process: the native addon when it loads, else the
 * pure-TypeScript reference kernels with one warning on stderr. `MTF_BACKEND=reference` forces
 * the reference kernels silently; `MTF_BACKEND=native` makes a missing addon an error.
 */
import { MtfError } from "../core/errors.js";
import type { Kernels } from "./kernels.js";
import { getNativeThreads, loadNativeKernels, nativeLoadError } from "./native-kernels.js";
import { referenceKernels } from "./reference-kernels.js";

export interface BackendInfo {
  /** The kernels' name: `reference`, `native-avx512`, `native-avx2` or `native-generic`. */
  readonly name: string;
  /** Worker threads the kernels use (1 for the reference backend). */
  readonly threads: number;
  /** Why the reference backend runs instead of the native one; null when native runs. */
  readonly reason: string | null;
}

interface Selection {
  readonly kernels: Kernels;
  readonly native: boolean;
  readonly reason: string | null;
}

let selection: Selection | null = null;

function select(): Selection {
  const requested = process.env.MTF_BACKEND ?? "";
  if (requested === "reference") {
    return { kernels: referenceKernels, native: false, reason: "MTF_BACKEND=reference" };
  }
  if (requested !== "" && requested !== "native") {
    throw new MtfError(
      "INVALID_CONFIG",
      `MTF_BACKEND=${requested} is not a backend; use "native", "reference", or leave it unset to pick automatically`,
    );
  }
  const native = loadNativeKernels();
  if (native !== null) return { kernels: native, native: true, reason: null };
  const reason = nativeLoadError() ?? "the addon did not load";
  if (requested === "native") {
    throw new MtfError(
      "BACKEND_UNAVAILABLE",
      `MTF_BACKEND=native but the native kernels are unavailable (${reason}); run \`npm run build\` to see the build error`,
    );
  }
  process.stderr.write(
    `mtf: native kernels unavailable (${reason}); using the pure-TypeScript reference backend (much slower). Run \`npm run build\` to see the build error.\n`,
  );
  return { kernels: referenceKernels, native: false, reason };
}

function selected(): Selection {
  selection ??= select();
  return selection;
}

/** The process-wide kernels, chosen on first use. */
export function kernels(): Kernels {
  return selected().kernels;
}

/** Which backend runs and why, for `mtf --version` and run metadata. */
export function backendInfo(): BackendInfo {
  const { kernels: active, native, reason } = selected();
  return { name: active.name, threads: native ? getNativeThreads() : 1, reason };
}
