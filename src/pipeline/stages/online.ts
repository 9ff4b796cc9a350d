/**
 * Stage 4, online baselines (paper Sec. 4.4.1): BO (GP-UCB over one global α) and, in the full
 * protocol, ES (a state → α network by natural evolution strategies) tune in the simulator with
 * a budget in user-days equal to the main collection's logged user-days (DESIGN.md
 * "Baselines"). Each writes `online/<method>/` (metrics, checkpoint, `policy.ckpt`); a stopped
 * run resumes from its checkpoint.
 */
import fs from "node:fs";
import path from "node:path";
import { behaviourPolicy } from "../../agents/behaviour.js";
import { BoTuner, loadBoPolicy, saveBoPolicy } from "../../agents/bo/index.js";
import { type OnlineTuner, runOnlineLoop } from "../../agents/common/online-loop.js";
import { EsTuner, loadEsPolicy, saveEsPolicy } from "../../agents/es/index.js";
import { configHash } from "../../core/config.js";
import type { Policy } from "../../core/interfaces.js";
import { formatMetric, jsonlSink, MetricsLogger } from "../../core/metrics-logger.js";
import { SIM_STATE_DIM } from "../../sim/engine.js";
import { SimEnvironment } from "../../sim/environment.js";
import type { OnlineMethod } from "./config.js";
import { count, type StageContext, slug, startTimer } from "./context.js";
import { readJson, writeJsonAtomic } from "./run-folder.js";

export const ONLINE_FILES = {
  metrics: "metrics.jsonl",
  checkpoint: "checkpoint.ckpt",
  policy: "policy.ckpt",
  summary: "online.json",
} as const;

/** What `online/<method>/online.json` holds. */
export interface OnlineSummary {
  readonly method: OnlineMethod;
  readonly budgetUserDays: number;
  readonly userDaysUsed: number;
  readonly rounds: number;
  readonly configHash: string;
  readonly finalMetrics: Readonly<Record<string, number>>;
  /** Wall and CPU seconds of this invocation (not in results.json: timings vary). */
  readonly seconds: number;
  readonly cpuSeconds: number;
}

export function onlineDir(context: StageContext, method: string): string {
  return context.folder.path("online", slug(method));
}

/** The online budget: the main collection's logged user-days. */
export function onlineBudget(context: StageContext): number {
  const { users, days } = context.config.pipeline.collect;
  return users * days;
}

function createTuner(context: StageContext, method: OnlineMethod, resumeFrom: string | null) {
  const { config, world, fusion } = context;
  const args = {
    environment: new SimEnvironment(world, fusion),
    stateDim: SIM_STATE_DIM,
    budgetUserDays: onlineBudget(context),
    seed: config.seed,
    bounds: fusion.bounds,
  };
  if (method === "BO") {
    const boArgs = { ...args, config: config.bo };
    return resumeFrom === null ? Promise.resolve(new BoTuner(boArgs)) : BoTuner.resume(resumeFrom, boArgs);
  }
  const esArgs = { ...args, config: config.es };
  return resumeFrom === null ? Promise.resolve(new EsTuner(esArgs)) : EsTuner.resume(resumeFrom, esArgs);
}

async function tuneOne(context: StageContext, method: OnlineMethod): Promise<OnlineSummary> {
  const dir = onlineDir(context, method);
  const files = Object.fromEntries(
    Object.entries(ONLINE_FILES).map(([key, name]) => [key, path.join(dir, name)]),
  ) as Record<keyof typeof ONLINE_FILES, string>;
  fs.mkdirSync(dir, { recursive: true });
  const section = method === "BO" ? context.config.bo : context.config.es;
  const hash = configHash({ method, section, seed: context.config.seed, budget: onlineBudget(context) });
  const resume = fs.existsSync(files.checkpoint);
  const tuner: OnlineTuner = await createTuner(context, method, resume ? files.checkpoint : null);
  const logger = new MetricsLogger([jsonlSink(files.metrics, resume ? { resumeStep: tuner.round } : {})]);
  const progress = context.progress(`tune ${method}`, tuner.budgetUserDays, "user-days");
  progress.update(tuner.userDaysUsed);
  const timer = startTimer();
  let last: Readonly<Record<string, number>> = {};
  try {
    await runOnlineLoop(tuner, {
      logger,
      checkpointPath: files.checkpoint,
      checkpointEvery: section.checkpointEvery,
      onRound: (t, metrics) => {
        last = metrics;
        const figures: Record<string, string> = { round: `${t.round}/${t.totalRounds}` };
        const best = metrics["objective/best_observed"];
        if (best !== undefined) figures.best = formatMetric(best);
        progress.update(t.userDaysUsed, figures);
      },
    });
  } finally {
    progress.stop();
    logger.close();
  }
  const runId = `${slug(method)}__${context.config.seed}`;
  if (tuner instanceof BoTuner) {
    await saveBoPolicy(files.policy, tuner.policyContent(), { configHash: hash, runId });
  } else {
    const es = tuner as EsTuner;
    await saveEsPolicy(files.policy, es.policy(`es@${runId}`), {
      objective: es.config.objective,
      generations: es.round,
      userDaysUsed: es.userDaysUsed,
      configHash: hash,
      runId,
    });
  }
  const summary: OnlineSummary = {
    method,
    budgetUserDays: tuner.budgetUserDays,
    userDaysUsed: tuner.userDaysUsed,
    rounds: tuner.round,
    configHash: hash,
    finalMetrics: Object.fromEntries(Object.entries(last).filter(([k]) => !k.startsWith("time/"))),
    ...timer(),
  };
  writeJsonAtomic(files.summary, summary);
  return summary;
}

/** Runs stage 4; returns its one-line summary. */
export async function runOnline(context: StageContext): Promise<string> {
  const parts: string[] = [];
  for (const method of context.config.pipeline.online) {
    const file = path.join(onlineDir(context, method), ONLINE_FILES.summary);
    const done = fs.existsSync(file);
    const s = done ? readJson<OnlineSummary>(file) : await tuneOne(context, method);
    parts.push(
      `${method} ${s.rounds} rounds, ${count(s.userDaysUsed)} of ${count(s.budgetUserDays)} user-days${done ? " (done earlier)" : ""}`,
    );
  }
  return parts.length === 0 ? "no online methods" : parts.join("; ");
}

/** Loads an online method's tuned policy. */
export async function loadOnlinePolicy(context: StageContext, method: OnlineMethod): Promise<Policy> {
  const file = path.join(onlineDir(context, method), ONLINE_FILES.policy);
  if (method === "BO") return (await loadBoPolicy(file, { id: "BO" })).policy;
  return (await loadEsPolicy(file, { id: "ES" })).policy;
}

/** The behaviour policy (the production baseline) under the run's α bounds. */
export function runBehaviourPolicy(context: StageContext): Policy {
  return behaviourPolicy(SIM_STATE_DIM, context.bounds);
}
