/** What every stage of the pipeline gets: the config, the run folder, the frozen world, progress. */
import type { AlphaBounds } from "../../core/action.js";
import { fusionParams } from "../../core/config.js";
import { resolveSimConfig } from "../../sim/config.js";
import type { FusionParams } from "../../sim/engine.js";
import { createWorld, type SimWorld } from "../../sim/world.js";
import type { PipelineConfig, PipelineKind } from "./config.js";
import type { RunFolder } from "./run-folder.js";

/** A progress display (the CLI passes its bars; tests pass none). */
export interface StageProgress {
  update(done: number, figures?: Readonly<Record<string, string | number>>): void;
  stop(): void;
}

export type ProgressFactory = (label: string, total: number, unit: string) => StageProgress;

export const NO_PROGRESS: ProgressFactory = () => ({ update() {}, stop() {} });

export interface StageContext {
  readonly kind: PipelineKind;
  readonly config: PipelineConfig;
  /** Hash of the whole resolved config. */
  readonly configHash: string;
  readonly folder: RunFolder;
  /** The frozen simulator (config + seed); `world.configHash` is printed with every result. */
  readonly world: SimWorld;
  readonly fusion: FusionParams;
  readonly bounds: AlphaBounds;
  readonly progress: ProgressFactory;
  /** Lines for the user (stderr in the CLI). */
  readonly log: (line: string) => void;
}

export function createStageContext(args: {
  readonly kind: PipelineKind;
  readonly config: PipelineConfig;
  readonly configHash: string;
  readonly folder: RunFolder;
  readonly progress?: ProgressFactory;
  readonly log?: (line: string) => void;
}): StageContext {
  const { config } = args;
  const world = createWorld(resolveSimConfig(config.sim), config.seed, { timeZone: config.timeZone });
  const { beta, bounds } = fusionParams(config.fusion);
  return {
    ...args,
    world,
    fusion: { beta, bounds },
    bounds,
    progress: args.progress ?? NO_PROGRESS,
    log: args.log ?? (() => {}),
  };
}

/** A file-name-safe form of a method name ("BatchRL-MTF rho=0.05" → "batchrl-mtf-rho-0.05"). */
export function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Thousands separators for summaries. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** Wall and CPU seconds (all threads of the process) since it was started: rates for docs/pipeline.md. */
export function startTimer(): () => { readonly seconds: number; readonly cpuSeconds: number } {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  return () => {
    const cpu = process.cpuUsage(cpu0);
    return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  };
}
