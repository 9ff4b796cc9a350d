/**
 * Stage 5, Conservative-OPE (paper Sec. 4.3.1, Eq. 9, Algorithm 2): V̂ of every Table 1 method
 * and of the behaviour policy on the test split of its dataset — the -R variants under their own
 * reward (marked in the report), the others on the main dataset — with a bootstrap interval over
 * sessions. Fig. 8's sweep points are judged by their true value only. One JSON per method in
 * `ope/`; a method with its JSON is done.
 */
import fs from "node:fs";
import { configHash } from "../../core/config.js";
import { Rng } from "../../core/rng.js";
import type { OpeOptions } from "../../ope/config.js";
import { precomputeDecisions } from "../../ope/decisions.js";
import { estimatePolicyValue } from "../../ope/evaluate.js";
import { opeDataFromTransitions } from "../../ope/split-data.js";
import { type StageContext, slug, startTimer } from "./context.js";
import { loadMethodPolicy, type RunMethod, runMethods } from "./policies.js";
import { readJson, writeJsonAtomic } from "./run-folder.js";
import { runDataset } from "./train.js";

/** What `ope/<method>.json` holds. */
export interface OpeSummary {
  readonly method: string;
  readonly reward: string;
  readonly dataset: string;
  /** Penalty α of Eq. 10 the estimate used. */
  readonly alpha: number;
  readonly value: number;
  readonly low: number;
  readonly high: number;
  readonly confidence: number;
  readonly initialStates: number;
  readonly testTransitions: number;
  readonly configHash: string;
  readonly finalMetrics: Readonly<Record<string, number>>;
  /** Wall and CPU seconds of the fit (not in results.json: timings vary). */
  readonly seconds: number;
  readonly cpuSeconds: number;
}

export function opePath(context: StageContext, method: string): string {
  return context.folder.path("ope", `${slug(method)}.json`);
}

/** The methods stage 5 estimates: all but Fig. 8's sweep points. */
export function opeMethods(context: StageContext): RunMethod[] {
  return runMethods(context).filter((m) => m.sweep === null);
}

async function estimateOne(context: StageContext, method: RunMethod): Promise<OpeSummary> {
  const { config } = context;
  const timer = startTimer();
  const options: OpeOptions = { ...config.ope, gamma: config.gamma };
  const dataset = runDataset(context, method.dataset);
  const data = opeDataFromTransitions(dataset, dataset.test);
  const policy = await loadMethodPolicy(context, method);
  const decisions = precomputeDecisions(
    policy,
    data,
    options.decisionSamples,
    new Rng(config.seed).derive("decisions"),
  );
  const progress = context.progress(`ope ${method.name}`, options.iterations, "iterations");
  let estimate: Awaited<ReturnType<typeof estimatePolicyValue>>[number];
  try {
    [estimate] = await estimatePolicyValue(data, decisions, options, {
      alphas: [options.alpha],
      seeds: 1,
      seed: config.seed,
      onIteration: (_fit, iteration, metrics) => {
        if (iteration % 25 === 0) progress.update(iteration, { "loss/td": metrics["loss/td"] });
      },
    });
  } finally {
    progress.stop();
  }
  const summary: OpeSummary = {
    method: method.name,
    reward: method.reward,
    dataset: method.dataset,
    alpha: estimate.alpha,
    value: estimate.value,
    low: estimate.interval.low,
    high: estimate.interval.high,
    confidence: estimate.interval.confidence,
    initialStates: estimate.initialStates,
    testTransitions: dataset.test.length,
    configHash: configHash({ gamma: options.gamma, ope: config.ope }),
    finalMetrics: estimate.finalMetrics,
    ...timer(),
  };
  writeJsonAtomic(opePath(context, method.name), summary);
  return summary;
}

/** Runs stage 5; returns its one-line summary. */
export async function runOpe(context: StageContext): Promise<string> {
  const parts: string[] = [];
  for (const method of opeMethods(context)) {
    const file = opePath(context, method.name);
    const s = fs.existsSync(file) ? readJson<OpeSummary>(file) : await estimateOne(context, method);
    parts.push(
      `${method.name} ${s.value.toFixed(3)}${method.reward === "default" ? "" : ` (R${method.reward})`}`,
    );
  }
  return `V̂ on the test split: ${parts.join(", ")}`;
}
