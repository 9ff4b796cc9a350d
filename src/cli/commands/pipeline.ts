/**
 * `mtf pipeline [--out <dir>] [--config <yaml>] [--seed <n>] [--full] [--resume] [--report-only]`:
 * the whole loop on embedded defaults (docs/pipeline.md) — simulate + collect, fit reward +
 * build, BatchRL-MTF, BO, Conservative-OPE, the A/B test and the report — each stage with
 * progress and a one-line summary; the last line printed is the report's path. `--full` runs
 * Table 1's protocol instead (the same code as `mtf experiment table1`).
 */
import type { Command } from "commander";
import { MtfError } from "../../core/errors.js";
import { defaultRunFolder, runPipeline } from "../../pipeline/pipeline.js";
import type { PipelineKind } from "../../pipeline/stages/config.js";
import type { ProgressFactory } from "../../pipeline/stages/context.js";
import { rerenderReport } from "../../pipeline/stages/report.js";
import { parseSeed } from "../options.js";
import { startProgress } from "../progress.js";

export interface PipelineCommandOptions {
  readonly out?: string;
  readonly config?: string;
  readonly seed?: number;
  readonly resume?: boolean;
  readonly reportOnly?: boolean;
}

const progress: ProgressFactory = (label, total, unit) =>
  startProgress({ label, total, unit, intervalMs: 15_000 });

/** Runs one kind of pipeline for the CLI: progress on stderr, the report's path last on stdout. */
export async function runPipelineCommand(kind: PipelineKind, options: PipelineCommandOptions): Promise<void> {
  if (options.reportOnly) {
    if (options.out === undefined)
      throw new MtfError("INVALID_ARGUMENT", "--report-only needs --out <run folder>");
    process.stdout.write(`${await rerenderReport(options.out)}\n`);
    return;
  }
  const result = await runPipeline({
    kind,
    out: options.out,
    configFile: options.config,
    seed: options.seed,
    resume: options.resume,
    progress,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${result.reportPath}\n`);
}

/** The options `pipeline` and `experiment table1` share. */
export function pipelineOptions(command: Command, kind: PipelineKind): Command {
  return command
    .option("--out <dir>", `run folder (default ${defaultRunFolder(kind, "<config hash>")})`)
    .option(
      "--config <yaml>",
      "YAML merged over the embedded defaults (sections sim, exploration, bcq, bo, es, ope, pipeline, …)",
    )
    .option("--seed <n>", "root seed (default 1); same config and seed give the same numbers", parseSeed)
    .option("--resume", "continue the run in --out: finished stages (and methods) are skipped")
    .option("--report-only", "regenerate the report from <out>/results.json without running anything");
}

export function register(program: Command): void {
  pipelineOptions(
    program
      .command("pipeline")
      .description(
        "the whole loop on embedded defaults in the simulator (collect, build, BatchRL-MTF, BO, OPE, A/B test) and an HTML report; under 15 min on 2 cores",
      ),
    "pipeline",
  )
    .option("--full", "run the whole Table 1 protocol at paper settings instead (as mtf experiment table1)")
    .action(async (options: PipelineCommandOptions & { readonly full?: boolean }) => {
      await runPipelineCommand(options.full ? "table1" : "pipeline", options);
    });
}
