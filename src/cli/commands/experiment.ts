/**
 * `mtf experiment table1 [--out <dir>] [--config <yaml>] [--seed <n>] [--resume]`: the paper's
 * Table 1 protocol with Figures 5-8 (docs/pipeline.md, "Table 1"), the same code path as
 * `mtf pipeline --full`; `--config` scales it.
 */
import type { Command } from "commander";
import { type PipelineCommandOptions, pipelineOptions, runPipelineCommand } from "./pipeline.js";

export function register(program: Command): void {
  const command = program
    .command("experiment")
    .description("reproduce the paper's experiments in the simulator (see mtf experiment <name> --help)");
  pipelineOptions(
    command
      .command("table1")
      .description(
        "Table 1 and Figures 5-8: every method at paper settings, Conservative-OPE, A/B test vs BO, true values (resumable; >100 h on 2 cores unscaled)",
      ),
    "table1",
  ).action(async (options: PipelineCommandOptions) => {
    await runPipelineCommand("table1", options);
  });
}
