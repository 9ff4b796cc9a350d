/** Entry point of the `mtf` CLI: parses arguments and turns domain errors into one clear line. */
import { CommanderError } from "commander";
import { isMtfError } from "../core/errors.js";

async function main(argv: readonly string[]): Promise<number> {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    // Answered without loading the command tree (servers, databases), so it is instant.
    const { versionLine } = await import("./version.js");
    process.stdout.write(`${versionLine()}\n`);
    return 0;
  }
  const { buildProgram } = await import("./program.js");
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv as string[]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (isMtfError(error)) {
      process.stderr.write(`mtf: error [${error.code}]: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv);
