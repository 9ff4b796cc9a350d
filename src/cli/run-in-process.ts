/**
 * Test support: runs `mtf <args>` in-process on a program with the given commands and returns
 * what it printed. String chunks (the commands' output) are captured; any other chunk is
 * passed on, because in a child of `node --test` the runner's own serialized reports go
 * through the same process.stdout — swallowing them would silently lose test results.
 */
import { Command } from "commander";

type Register = (program: Command) => void;
type Write = typeof process.stdout.write;

function capturing(stream: NodeJS.WriteStream, sink: { text: string }): Write {
  const original = stream.write;
  return ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk === "string") {
      sink.text += chunk;
      return true;
    }
    return original.call(stream, chunk, ...rest);
  }) as Write;
}

export async function runInProcess(
  registers: readonly Register[],
  args: readonly string[],
): Promise<{ out: string; err: string }> {
  const program = new Command("mtf").exitOverride();
  for (const register of registers) register(program);
  const [out, err] = [{ text: "" }, { text: "" }];
  const [stdoutWrite, stderrWrite] = [process.stdout.write, process.stderr.write];
  process.stdout.write = capturing(process.stdout, out);
  process.stderr.write = capturing(process.stderr, err);
  try {
    await program.parseAsync(args as string[], { from: "user" });
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
  return { out: out.text, err: err.text };
}
