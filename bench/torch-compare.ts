/**
 * A workload measured against the PyTorch reference in the same invocation. Ours and the
 * reference are interleaved round by round (ours one core, torch one core, ours whole machine,
 * torch whole machine), and each figure is the median over rounds of the median over runs, so a
 * background load hits both sides alike.
 */
import { availableParallelism } from "node:os";
import { backendInfo } from "../src/nn/backend.js";
import { getNativeThreads, setNativeThreads } from "../src/nn/native-kernels.js";
import type { BenchContext, Measurement, Workload } from "./harness.js";
import { median } from "./harness.js";
import { runTorchReference, type TorchFigure, type TorchSetting, torchUnavailableReason } from "./torch.js";

/** Under this, the reference runs on the slow reference BLAS and a ratio would flatter us. */
const SLOW_BLAS_CRITIC_STEPS = 100;

interface Setting {
  readonly label: TorchSetting;
  readonly threads: number;
}

const SETTINGS: readonly Setting[] = [
  { label: "one-core", threads: 1 },
  { label: "whole-machine", threads: Math.max(1, availableParallelism()) },
];

/** iters / seconds, median over `runs` timed runs after `warm` untimed steps (as the reference). */
export function stepsPerSecond(step: () => void, warm: number, iters: number, runs: number): number {
  for (let i = 0; i < warm; i++) step();
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) step();
    rates.push(iters / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  return median(rates);
}

export type Ours = (ctx: BenchContext) => Record<string, number>;

export interface TorchComparedSpec {
  /** The reference's workload name (critic, vae, infer, bcq, act, act256). */
  readonly name: string;
  readonly description: string;
  readonly ours: Ours;
  /** Metric name -> [unit, field of the torch JSON line, higher is better]. */
  readonly metrics: Readonly<Record<string, readonly [string, keyof TorchFigure, boolean]>>;
}

/** The workload for one spec of `torch_reference.py` (its workload name is `spec.name`). */
export function torchComparedWorkload(spec: TorchComparedSpec): Workload {
  return {
    name: spec.name,
    description: spec.description,
    async run(ctx) {
      const unavailable = torchUnavailableReason();
      if (unavailable)
        ctx.log(`!!! PyTorch reference unavailable: ${unavailable}. Printing our figures without ratios.`);
      const rounds = ctx.quick ? 1 : 3;
      const ours = new Map<string, number[]>();
      const theirs = new Map<string, number[]>();
      const tags = new Map<TorchSetting, string>();
      const previousThreads = getNativeThreads();
      try {
        for (let round = 0; round < rounds; round++) {
          for (const setting of SETTINGS) {
            setNativeThreads(setting.threads);
            const figures = spec.ours(ctx);
            for (const [metric, value] of Object.entries(figures))
              push(ours, `${setting.label}/${metric}`, value);
            ctx.log(`  round ${round + 1}/${rounds} ${setting.label}: ours ${summary(figures)}`);
            if (unavailable) continue;
            const line = runTorchReference([spec.name], setting.label).find((f) => f.workload === spec.name);
            if (!line) throw new Error(`torch reference printed no ${spec.name} line`);
            tags.set(setting.label, line.reference);
            for (const [metric, [, field]] of Object.entries(spec.metrics)) {
              push(theirs, `${setting.label}/${metric}`, Number(line[field]));
            }
            ctx.log(
              `  round ${round + 1}/${rounds} ${setting.label}: torch ${line.reference} ${JSON.stringify(line)}`,
            );
          }
        }
      } finally {
        setNativeThreads(previousThreads);
      }
      const slowBlas =
        spec.name === "critic" &&
        (theirs.get("one-core/steps_per_s") ?? []).some((v) => v < SLOW_BLAS_CRITIC_STEPS);
      if (slowBlas) {
        ctx.log(
          `!!! The PyTorch reference ran under ${SLOW_BLAS_CRITIC_STEPS} critic steps/s: it is on the slow reference BLAS (install libopenblas0-pthread) or the machine is loaded. No ratios printed.`,
        );
      }
      const backend = backendInfo().name;
      const out: Measurement[] = [];
      for (const setting of SETTINGS) {
        for (const [metric, [unit, , higherIsBetter]] of Object.entries(spec.metrics)) {
          const key = `${setting.label}/${metric}`;
          const value = median(ours.get(key) ?? [Number.NaN]);
          const refValues = theirs.get(key);
          const reference = refValues && !slowBlas ? median(refValues) : null;
          const ratio = reference === null ? null : higherIsBetter ? value / reference : reference / value;
          out.push({
            workload: spec.name,
            metric: `${metric}@${setting.label}`,
            value,
            unit,
            reference,
            referenceTag:
              reference === null
                ? (unavailable ?? (slowBlas ? "slow reference BLAS" : null))
                : (tags.get(setting.label) ?? null),
            ratio,
            note: `ours: ${backend}, ${setting.threads} thread${setting.threads === 1 ? "" : "s"}`,
          });
        }
      }
      return out;
    },
  };
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function summary(figures: Record<string, number>): string {
  return Object.entries(figures)
    .map(([k, v]) => `${k}=${v.toFixed(1)}`)
    .join(" ");
}
