/** The `mtf` command tree. Each command lives in `commands/<name>.ts` and registers itself here. */
import { Command } from "commander";
import { register as registerBuild } from "./commands/build.js";
import { register as registerEvaluate } from "./commands/evaluate.js";
import { register as registerExperiment } from "./commands/experiment.js";
import { register as registerExportParquet } from "./commands/export-parquet.js";
import { register as registerFitReward } from "./commands/fit-reward.js";
import { register as registerImportEvents } from "./commands/import-events.js";
import { register as registerImportKuairand } from "./commands/import-kuairand.js";
import { register as registerPipeline } from "./commands/pipeline.js";
import { register as registerRegistry } from "./commands/registry.js";
import { register as registerRetrain } from "./commands/retrain.js";
import { register as registerServe } from "./commands/serve.js";
import { register as registerSimulate } from "./commands/simulate.js";
import { register as registerTrain } from "./commands/train.js";
import { register as registerTune } from "./commands/tune.js";
import { versionLine } from "./version.js";

export function buildProgram(): Command {
  const program = new Command("mtf")
    .description(
      "Personalised multi-task fusion weights for recommenders, learned with batch reinforcement learning (BatchRL-MTF).",
    )
    .option("-V, --version", "print the version, the numeric backend in use and its thread count")
    .showHelpAfterError("(run mtf --help for usage)")
    .configureHelp({ sortSubcommands: true });
  program.on("option:version", () => {
    process.stdout.write(`${versionLine()}\n`);
    process.exit(0);
  });
  const commands = [
    registerImportEvents,
    registerImportKuairand,
    registerExportParquet,
    registerFitReward,
    registerBuild,
    registerSimulate,
    registerTrain,
    registerTune,
    registerEvaluate,
    registerServe,
    registerRegistry,
    registerRetrain,
    registerPipeline,
    registerExperiment,
  ];
  for (const register of commands) register(program);
  return program;
}
