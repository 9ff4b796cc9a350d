/**
 * `mtf simulate`: runs the simulator with the behaviour policy and an exploration layer and
 * writes the events, users and videos into the run's log store (`<out>/store.duckdb`), the
 * session-start snapshots (`<out>/snapshots.jsonl`, for Monte-Carlo truth) and the resolved
 * config. `--calibration` instead prints the calibration table against the KuaiRand excerpt.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { z } from "zod";
import { behaviourPolicy } from "../../agents/behaviour.js";
import {
  EXPLORATION_MODES,
  ExplorationLayer,
  type ExplorationMode,
  explorationConfigSection,
} from "../../agents/exploration.js";
import {
  coreConfigShape,
  fusionParams,
  loadConfigFile,
  parseConfig,
  resolvedConfigYaml,
} from "../../core/config.js";
import { MtfError } from "../../core/errors.js";
import type { PlayEvent } from "../../core/events.js";
import { LogStore, runStorePath } from "../../data/log-store.js";
import {
  calibrate,
  DEFAULT_EXCERPT_URL,
  excerptFiguresFromText,
  formatCalibration,
} from "../../sim/calibration.js";
import {
  resolveSimConfig,
  SIM_PRESETS,
  type SimConfig,
  type SimPreset,
  simConfigSection,
} from "../../sim/config.js";
import { type RunUser, SIM_STATE_DIM, Simulator, videoId } from "../../sim/engine.js";
import { groupMetrics } from "../../sim/metrics.js";
import { generatePopulation, PROFILE_DIM, PROFILE_FEATURES } from "../../sim/population.js";
import { SnapshotRecorder } from "../../sim/rollout.js";
import type { SimUserOutcome } from "../../sim/user-state.js";
import { createWorld, freshUserIds, type SimWorld } from "../../sim/world.js";
import { parsePositiveInt, parseSeed } from "../options.js";
import { startProgress } from "../progress.js";

interface SimulateOptions {
  readonly preset?: SimPreset;
  readonly days: number;
  readonly users?: number;
  readonly policy: string;
  readonly exploration?: ExplorationMode;
  readonly out?: string;
  readonly config?: string;
  readonly seed?: number;
  readonly calibration?: boolean;
}

/** The sections `simulate` reads; other modules' sections in the same file are left alone. */
const configSchema = z.looseObject({
  ...coreConfigShape,
  sim: simConfigSection,
  exploration: explorationConfigSection,
});

/** Users simulated (and written) per chunk: events of a chunk are one store batch. */
const CHUNK_USERS = 512;

function parseChoice<T extends string>(choices: readonly T[], what: string) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${what} must be one of ${choices.join(", ")}, got "${value}"`);
    }
    return value as T;
  };
}

function loadConfig(options: SimulateOptions) {
  const raw =
    options.config === undefined
      ? parseConfig({}, configSchema, "defaults")
      : loadConfigFile(options.config, configSchema);
  const parsed = { ...raw.sim, preset: options.preset ?? raw.sim.preset };
  const sim: SimConfig = resolveSimConfig(
    options.users === undefined ? { ...parsed, users: raw.sim.users } : { ...parsed, users: options.users },
  );
  const seed = options.seed ?? raw.seed;
  const exploration = { ...raw.exploration, mode: options.exploration ?? raw.exploration.mode };
  return { ...raw, seed, sim, exploration };
}

async function writeCatalogue(store: LogStore, world: SimWorld): Promise<void> {
  const c = world.catalogue;
  const videos = Array.from({ length: c.size }, (_, v) => ({
    itemId: videoId(v),
    durationMs: Math.round(c.durationS[v] * 1000),
    category: `c${c.category[v]}`,
    authorId: `a${c.creator[v]}`,
  }));
  await store.upsertVideos(videos);
}

function summary(
  outcomes: readonly SimUserOutcome[],
  days: number,
  events: number,
  groups: Map<string, number>,
) {
  const m = groupMetrics(outcomes, days);
  return [
    `users ${m.users}, days ${days}, events ${events}, sessions ${outcomes.reduce((a, o) => a + o.sessions, 0)}`,
    `ADTime ${(m.adTimeS / 60).toFixed(2)} min/user/day, UPIRate ${(100 * m.upiRate).toFixed(3)}%, ` +
      `plays/user/day ${m.playsPerUserDay.toFixed(2)}, return rate ${(100 * m.returnRate).toFixed(1)}%`,
    `events per exploration group: ${[...groups].map(([g, n]) => `${g} ${n}`).join(", ")}`,
  ];
}

async function simulate(options: SimulateOptions): Promise<void> {
  const config = loadConfig(options);
  const world = createWorld(config.sim, config.seed, { timeZone: config.timeZone });
  const { beta, bounds } = fusionParams(config.fusion);
  const behaviour = behaviourPolicy(SIM_STATE_DIM, bounds);
  const header = `config ${world.configHash}, seed ${config.seed}, preset ${config.sim.preset}`;

  if (options.calibration) {
    const excerpt = excerptFiguresFromText(readFileSync(DEFAULT_EXCERPT_URL, "utf8"), config.seed);
    const result = calibrate(world, behaviour, excerpt, { seed: config.seed });
    process.stdout.write(`${formatCalibration(result)}\n`);
    if (!result.pass) process.exitCode = 1;
    return;
  }
  if (options.out === undefined)
    throw new MtfError("INVALID_ARGUMENT", "--out <dir> is required (or pass --calibration)");
  if (options.policy !== "behaviour") {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `--policy must be "behaviour" (the only policy simulate serves), got "${options.policy}"`,
    );
  }
  const out = options.out;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "sim-config.yaml"), resolvedConfigYaml({ ...config, sim: config.sim }));
  const layer = new ExplorationLayer(config.exploration, behaviour, behaviour.action);
  const ids = freshUserIds(config.seed, 0, config.sim.users);
  const users: RunUser[] = ids.map((id) => ({ id, assignment: { ...layer.assign(id), arm: null } }));

  const store = await LogStore.open(runStorePath(out));
  const started = Date.now();
  const progress = startProgress({ label: "simulate", total: users.length, unit: "users" });
  const recorder = new SnapshotRecorder();
  const snapshotsFile = join(out, "snapshots.jsonl");
  writeFileSync(snapshotsFile, "");
  let snapshots = 0;
  let pending: PlayEvent[] = [];
  const groups = new Map<string, number>();
  const simulator = new Simulator(world, {
    fusion: { beta, bounds },
    onEvents: (events) => {
      for (const e of events) {
        pending.push(e);
        const g = e.explorationGroup ?? "none";
        groups.set(g, (groups.get(g) ?? 0) + 1);
      }
    },
  });
  const outcomes: SimUserOutcome[] = [];
  let written = 0;
  try {
    await writeCatalogue(store, world);
    for (let start = 0; start < users.length; start += CHUNK_USERS) {
      const chunk = users.slice(start, start + CHUNK_USERS);
      // Users are independent and keep their own random streams, so chunking changes nothing.
      outcomes.push(
        ...simulator.runDays(chunk, {
          days: options.days,
          seed: config.seed,
          onSessionStart: recorder.record,
        }),
      );
      const pop = generatePopulation(
        config.sim,
        config.seed,
        chunk.map((u) => u.id),
      );
      await store.upsertUsers(
        chunk.map((u, i) => ({
          userId: u.id,
          profile: Array.from(pop.profile.subarray(i * PROFILE_DIM, (i + 1) * PROFILE_DIM)),
        })),
        PROFILE_FEATURES,
      );
      const starts = recorder.drain();
      snapshots += starts.length;
      appendFileSync(snapshotsFile, starts.map((s) => `${JSON.stringify(s.snapshot)}\n`).join(""));
      const result = await store.appendEvents(pending);
      written += result.inserted;
      pending = [];
      progress.update(Math.min(start + CHUNK_USERS, users.length), { events: written });
    }
  } finally {
    progress.stop();
    store.close();
  }
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(
    `${[
      `simulated ${header}`,
      ...summary(outcomes, options.days, written, groups),
      `exploration ${config.exploration.mode} (share ${config.exploration.share}), wrote ${runStorePath(out)}, ` +
        `${snapshots} session snapshots, in ${seconds.toFixed(1)} s`,
    ].join("\n")}\n`,
  );
}

export function register(program: Command): void {
  program
    .command("simulate")
    .description("run the short-video platform simulator and write its logs (or print its calibration)")
    .option(
      "--preset <name>",
      `population size: ${SIM_PRESETS.join(", ")}`,
      parseChoice(SIM_PRESETS, "--preset"),
    )
    .option("--days <n>", "simulated days", parsePositiveInt, 7)
    .option("--users <n>", "number of users (default: the preset's)", parsePositiveInt)
    .option("--policy <name>", "policy that serves the target traffic", "behaviour")
    .option(
      "--exploration <mode>",
      `exploration layer: ${EXPLORATION_MODES.join(", ")} (default: the config's, mixed)`,
      parseChoice(EXPLORATION_MODES, "--exploration"),
    )
    .option("--out <dir>", "run folder: <dir>/store.duckdb, snapshots.jsonl, sim-config.yaml")
    .option("--config <yaml>", "config file (sections sim, exploration, fusion, timeZone, seed)")
    .option("--seed <n>", "seed (overrides the config's)", parseSeed)
    .option("--calibration", "print the calibration table against the KuaiRand excerpt instead of simulating")
    .action(simulate);
}
