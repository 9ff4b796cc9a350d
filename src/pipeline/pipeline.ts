/**
 * `mtf pipeline` and `mtf experiment table1` (docs/pipeline.md): the whole loop in one run
 * folder, stage by stage —
 *
 *   1 collect   simulate the behaviour policy under Mixed Multi-Exploration, log the events
 *   2 build     fit the Eq. 2 reward, build the datasets (sessions → transitions, time split)
 *   3 train     the offline methods (BatchRL-MTF = BCQ, Algorithm 1; ablations; baselines)
 *   4 online    BO (and ES) in the simulator with the logged user-days as budget
 *   5 ope       Conservative-OPE V̂ (Eq. 9) on the test split
 *   6 abtest    A/B test on fresh users, Monte-Carlo true values, segments, Fig. 5-8 data
 *   7 report    results.json and the rendered report
 *
 * Each stage writes its outputs under the run folder and then a done marker; `resume` skips
 * finished stages (and, within a stage, finished methods; a stopped training resumes from its
 * checkpoint). Same config and seed → same numbers.
 */
import path from "node:path";
import { resolvedConfigYaml } from "../core/config.js";
import { MtfError } from "../core/errors.js";
import { runtimeInfo } from "../nn/run-metadata.js";
import type { ReportInput, StageTiming } from "../report/types.js";
import { runAbTestStage } from "./stages/abtest.js";
import { runBuild } from "./stages/build.js";
import { runCollect } from "./stages/collect.js";
import { loadPipelineConfig, type PipelineKind } from "./stages/config.js";
import { createStageContext, type ProgressFactory, type StageContext } from "./stages/context.js";
import { runOnline } from "./stages/online.js";
import { runOpe } from "./stages/ope.js";
import { renderReport, writeResults } from "./stages/report.js";
import { assembleResults, STAGES, type StageName } from "./stages/results.js";
import { RunFolder, readJson, writeJsonAtomic, writeTextAtomic } from "./stages/run-folder.js";
import { clearDatasetCache, runTrain } from "./stages/train.js";

export interface PipelineOptions {
  readonly kind: PipelineKind;
  /** Run folder; default `runs/<kind>-<config hash>`. */
  readonly out?: string;
  /** YAML merged over the embedded default. */
  readonly configFile?: string;
  /** Parsed overrides merged last (tests). */
  readonly overrides?: Record<string, unknown>;
  readonly seed?: number;
  /** Skip stages (and methods) that finished in this run folder. */
  readonly resume?: boolean;
  readonly progress?: ProgressFactory;
  /** Stage summaries and notes (stderr in the CLI). */
  readonly log?: (line: string) => void;
}

export interface PipelineResult {
  readonly out: string;
  readonly resultsPath: string;
  /** The file to open: the HTML report (or results.json while no renderer exists). */
  readonly reportPath: string;
  readonly results: ReportInput;
}

const STAGE_TITLES: Readonly<Record<StageName, string>> = {
  collect: "simulate + collect",
  build: "fit reward + build",
  train: "offline training",
  online: "online baselines",
  ope: "Conservative-OPE",
  abtest: "A/B test + true values + figures",
  report: "report",
};

const RUNNERS: Readonly<Record<Exclude<StageName, "report">, (context: StageContext) => Promise<string>>> = {
  collect: runCollect,
  build: runBuild,
  train: runTrain,
  online: runOnline,
  ope: runOpe,
  abtest: runAbTestStage,
};

interface RunRecord {
  readonly kind: PipelineKind;
  readonly configHash: string;
  readonly simConfigHash: string;
  readonly seed: number;
}

/** The default run folder of a config. */
export function defaultRunFolder(kind: PipelineKind, configHash: string): string {
  return path.join("runs", `${kind}-${configHash}`);
}

function formatSeconds(seconds: number): string {
  return seconds >= 90 ? `${(seconds / 60).toFixed(1)} min` : `${seconds.toFixed(1)} s`;
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** Runs the pipeline (see the file header). */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const { config, hash } = loadPipelineConfig({
    kind: options.kind,
    file: options.configFile,
    overrides: options.overrides,
    seed: options.seed,
  });
  const out = options.out ?? defaultRunFolder(options.kind, hash);
  const folder = new RunFolder(out);
  const log = options.log ?? (() => {});
  const resume = options.resume === true;
  if (folder.hasRun() && !resume) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `${out} already holds a run; pass --resume to continue it or choose another --out`,
    );
  }
  const context = createStageContext({
    kind: options.kind,
    config,
    configHash: hash,
    folder,
    progress: options.progress,
    log,
  });
  const recordFile = folder.path("run.json");
  if (resume && folder.hasRun()) {
    const previous = readJson<RunRecord>(recordFile);
    if (previous.configHash !== hash || previous.kind !== options.kind) {
      throw new MtfError(
        "INVALID_CONFIG",
        `--resume: the config resolves to hash ${hash} but the run in ${out} used ${previous.configHash} (${previous.kind}); resume with the same --config and --seed`,
      );
    }
  }
  writeTextAtomic(folder.path("config.yaml"), resolvedConfigYaml(config));
  writeJsonAtomic(recordFile, {
    kind: options.kind,
    configHash: hash,
    simConfigHash: context.world.configHash,
    seed: config.seed,
    ...runtimeInfo(),
  });
  log(
    `mtf ${options.kind === "table1" ? "experiment table1" : "pipeline"}: run folder ${out}, config ${hash}, seed ${config.seed}, simulator config ${context.world.configHash}`,
  );
  clearDatasetCache();
  const timings: StageTiming[] = [];
  const computeStages = STAGES.filter((s): s is Exclude<StageName, "report"> => s !== "report");
  for (const [i, stage] of computeStages.entries()) {
    const label = `[${i + 1}/${STAGES.length}] ${STAGE_TITLES[stage]}`;
    const previous = resume ? folder.marker(stage) : null;
    if (previous !== null) {
      log(`${label}: done earlier (${formatSeconds(previous.seconds)}): ${previous.detail}`);
      timings.push({ stage: STAGE_TITLES[stage], seconds: previous.seconds, detail: previous.detail });
      continue;
    }
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const detail = await RUNNERS[stage](context);
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = cpuSecondsSince(cpu0);
    folder.markDone(stage, seconds, cpuSeconds, detail);
    timings.push({ stage: STAGE_TITLES[stage], seconds, detail });
    log(`${label} (${formatSeconds(seconds)}, CPU ${formatSeconds(cpuSeconds)}): ${detail}`);
  }
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const results = assembleResults(context, timings);
  const resultsPath = writeResults(out, results);
  const reportPath = await renderReport(out, results);
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu0);
  folder.markDone("report", seconds, cpuSeconds, reportPath);
  log(
    `[${STAGES.length}/${STAGES.length}] report (${formatSeconds(seconds)}, CPU ${formatSeconds(cpuSeconds)}): ${reportPath}`,
  );
  for (const note of results.notes) log(`note: ${note}`);
  return { out, resultsPath, reportPath, results };
}
