/**
 * Runs the PyTorch CPU reference (../shared/bench/torch_reference.py) in a child process and
 * parses its JSON lines. The reference is what a user would compare us with; it is measured in
 * the same invocation as our figures, never taken from a table.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface TorchFigure {
  readonly reference: string;
  readonly workload: string;
  readonly steps_per_s?: number;
  readonly p50_us?: number;
  readonly p99_us?: number;
  readonly hours_for_300k_steps?: number;
}

export type TorchSetting = "one-core" | "whole-machine";

const PYTHON = process.env.MTF_BENCH_PYTHON ?? "/usr/bin/python3";

export function torchReferencePath(): string {
  return (
    process.env.MTF_TORCH_REFERENCE ??
    fileURLToPath(new URL("../../shared/bench/torch_reference.py", import.meta.url))
  );
}

/** Why the reference cannot run here, or null when it can. */
export function torchUnavailableReason(): string | null {
  const script = torchReferencePath();
  if (!existsSync(script)) return `reference script not found at ${script}`;
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const probe = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.status !== 0) {
    return `${PYTHON} cannot import torch (install: apt-get install -y python3-torch libopenblas0-pthread)`;
  }
  return null;
}

/**
 * One run of the reference for the given workloads. `one-core`: torch 1 thread, OpenBLAS 1
 * thread; `whole-machine`: torch 1 thread with OPENBLAS_NUM_THREADS=2, PyTorch's fastest
 * setting on a 2-core machine (see the reference's docstring).
 */
export function runTorchReference(workloads: readonly string[], setting: TorchSetting): TorchFigure[] {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: setting === "one-core" ? "1" : "2" };
  const result = spawnSync(PYTHON, [torchReferencePath(), "1", workloads.join(",")], {
    encoding: "utf8",
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`torch reference failed (exit ${result.status}): ${result.stderr.trim().slice(-500)}`);
  }
  return result.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as TorchFigure);
}
