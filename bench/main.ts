/**
 * `npm run bench [-- --json] [-- --only <workload>] [-- --quick] [-- --list]`
 *
 * Prints a table by default; `--json` prints one JSON object per line
 * {"workload", "metric", "value", "unit", "reference", "ratio"} on stdout (progress on stderr).
 */
import { cpus, totalmem } from "node:os";
import { Command } from "commander";
import { runtimeInfo } from "../src/nn/run-metadata.js";
import type { BenchContext, Measurement, Workload } from "./harness.js";
import { allWorkloads } from "./workloads/index.js";

const program = new Command("bench")
  .option("--json", "one JSON object per line instead of a table")
  .option("--only <workload>", "run one workload (see --list)")
  .option("--quick", "fewer repetitions (smoke run; figures are noisier)")
  .option("--list", "list the workloads and exit")
  .parse(process.argv);
const opts = program.opts<{ json?: boolean; only?: string; quick?: boolean; list?: boolean }>();

const workloads: readonly Workload[] = allWorkloads();
if (opts.list) {
  for (const w of workloads) process.stdout.write(`${w.name.padEnd(16)} ${w.description}\n`);
  process.exit(0);
}
const selected = opts.only ? workloads.filter((w) => w.name === opts.only) : workloads;
if (selected.length === 0) {
  process.stderr.write(
    `bench: unknown workload "${opts.only}"; known: ${workloads.map((w) => w.name).join(", ")}\n`,
  );
  process.exit(2);
}

const info = runtimeInfo();
const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`;
const header = `mtf ${info.mtfVersion} bench — ${machine}; node ${info.node}; backend ${info.backend}`;
const ctx: BenchContext = {
  log: (message) => process.stderr.write(`[bench] ${message}\n`),
  quick: opts.quick === true,
};
if (!opts.json) process.stdout.write(`${header}\n`);
else ctx.log(header);

const results: Measurement[] = [];
for (const workload of selected) {
  ctx.log(`${workload.name}: ${workload.description}`);
  const measured = await workload.run(ctx);
  results.push(...measured);
  if (opts.json) {
    for (const m of measured) {
      process.stdout.write(
        `${JSON.stringify({ workload: m.workload, metric: m.metric, value: m.value, unit: m.unit, reference: m.reference, ratio: m.ratio, referenceTag: m.referenceTag, note: m.note ?? null })}\n`,
      );
    }
  }
}

if (!opts.json) printTable(results);

function fmt(x: number | null): string {
  if (x === null) return "—";
  if (Math.abs(x) >= 1000) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(3);
}

function printTable(rows: readonly Measurement[]): void {
  const table = rows.map((m) => [
    m.workload,
    m.metric,
    `${fmt(m.value)} ${m.unit}`,
    m.reference === null ? "—" : `${fmt(m.reference)} ${m.unit}`,
    m.ratio === null ? "—" : `${m.ratio.toFixed(2)}x`,
    m.referenceTag ?? "",
    m.note ?? "",
  ]);
  const head = ["workload", "metric", "ours", "reference", "ratio", "reference run", "note"];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  process.stdout.write(`\n${line(head)}\n${line(widths.map((w) => "-".repeat(w)))}\n`);
  for (const r of table) process.stdout.write(`${line(r)}\n`);
  process.stdout.write("\nratio > 1 means mtf is faster than the reference measured in this run.\n");
}
