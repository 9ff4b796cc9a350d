/**
 * What every run writes next to its outputs (DESIGN.md): resolved config, seed, config hash,
 * numeric backend and versions, so any result can be traced to what produced it.
 */
import { readFileSync } from "node:fs";
import { backendInfo } from "./backend.js";

/** The software and numeric backend a run used. */
export interface RuntimeInfo {
  readonly mtfVersion: string;
  readonly node: string;
  readonly platform: string;
  readonly backend: string;
  readonly threads: number;
  /** Why the reference backend runs instead of the native one; null when native runs. */
  readonly backendNote: string | null;
}

export interface RunMetadata extends RuntimeInfo {
  readonly seed: number;
  readonly configHash: string;
  readonly createdAt: string;
}

export function mtfVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

export function runtimeInfo(): RuntimeInfo {
  const backend = backendInfo();
  return {
    mtfVersion: mtfVersion(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    backend: backend.name,
    threads: backend.threads,
    backendNote: backend.reason,
  };
}

export function runMetadata(seed: number, configHash: string, now: Date = new Date()): RunMetadata {
  return { ...runtimeInfo(), seed, configHash, createdAt: now.toISOString() };
}
