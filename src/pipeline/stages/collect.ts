/**
 * Stage 1, simulate + collect: the behaviour policy (the production baseline) serves the
 * collection's users under an exploration layer — Mixed Multi-Exploration (paper Sec. 3.3:
 * explored users split equally between random exploration and action noise, Eq. 8) for the main
 * collection, random exploration only for -RE's — and the events go to the collection's DuckDB
 * store. The simulator config is frozen into `sim-config.yaml` with its hash.
 */
import fs from "node:fs";
import path from "node:path";
import { behaviourPolicy } from "../../agents/behaviour.js";
import { ExplorationLayer } from "../../agents/exploration.js";
import { resolvedConfigYaml } from "../../core/config.js";
import type { PlayEvent } from "../../core/events.js";
import { LogStore, runStorePath } from "../../data/log-store.js";
import { type RunUser, SIM_STATE_DIM, Simulator } from "../../sim/engine.js";
import { type GroupMetrics, groupMetrics } from "../../sim/metrics.js";
import { generatePopulation, PROFILE_DIM, PROFILE_FEATURES } from "../../sim/population.js";
import type { SimUserOutcome } from "../../sim/user-state.js";
import { freshUserIds } from "../../sim/world.js";
import { COLLECTIONS, type Collection, collectionsNeeded } from "./config.js";
import { count, type StageContext } from "./context.js";
import { writeJsonAtomic, writeTextAtomic } from "./run-folder.js";

/** What `collect/<collection>/collect.json` holds. */
export interface CollectSummary {
  readonly collection: Collection;
  readonly explorationMode: string;
  readonly users: number;
  readonly days: number;
  readonly userDays: number;
  readonly events: number;
  readonly sessions: number;
  readonly eventsByGroup: Readonly<Record<string, number>>;
  readonly metrics: GroupMetrics;
  readonly simConfigHash: string;
  readonly store: string;
}

/** Users simulated (and written) per chunk. */
const CHUNK_USERS = 512;

export function collectionDir(context: StageContext, collection: Collection): string {
  return context.folder.path("collect", collection);
}

async function collectOne(context: StageContext, collection: Collection): Promise<CollectSummary> {
  const { config, world, fusion } = context;
  const { users: n, days } = config.pipeline.collect;
  const dir = collectionDir(context, collection);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const behaviour = behaviourPolicy(SIM_STATE_DIM, fusion.bounds);
  const mode = collection === "mixed" ? config.exploration.mode : "random";
  const layer = new ExplorationLayer({ ...config.exploration, mode }, behaviour, behaviour.action);
  // Each collection has its own users (group index), as a second logging period would.
  const ids = freshUserIds(config.seed, COLLECTIONS.indexOf(collection), n);
  const users: RunUser[] = ids.map((id) => ({ id, assignment: { ...layer.assign(id), arm: null } }));
  const store = await LogStore.open(runStorePath(dir));
  const progress = context.progress(`collect ${collection}`, users.length, "users");
  const groups: Record<string, number> = {};
  let pending: PlayEvent[] = [];
  const simulator = new Simulator(world, {
    fusion,
    onEvents: (events) => {
      for (const e of events) {
        pending.push(e);
        const g = e.explorationGroup ?? "none";
        groups[g] = (groups[g] ?? 0) + 1;
      }
    },
  });
  const outcomes: SimUserOutcome[] = [];
  let written = 0;
  try {
    for (let start = 0; start < users.length; start += CHUNK_USERS) {
      const chunk = users.slice(start, start + CHUNK_USERS);
      // Users keep their own random streams, so chunking changes nothing.
      outcomes.push(...simulator.runDays(chunk, { days, seed: config.seed }));
      const population = generatePopulation(
        world.config,
        world.seed,
        chunk.map((u) => u.id),
      );
      await store.upsertUsers(
        chunk.map((u, i) => ({
          userId: u.id,
          profile: Array.from(population.profile.subarray(i * PROFILE_DIM, (i + 1) * PROFILE_DIM)),
        })),
        PROFILE_FEATURES,
      );
      written += (await store.appendEvents(pending)).inserted;
      pending = [];
      progress.update(Math.min(start + CHUNK_USERS, users.length), { events: written });
    }
  } finally {
    progress.stop();
    store.close();
  }
  const summary: CollectSummary = {
    collection,
    explorationMode: mode,
    users: n,
    days,
    userDays: n * days,
    events: written,
    sessions: outcomes.reduce((a, o) => a + o.sessions, 0),
    eventsByGroup: Object.fromEntries(Object.entries(groups).sort(([a], [b]) => a.localeCompare(b))),
    metrics: groupMetrics(outcomes, days),
    simConfigHash: world.configHash,
    store: path.relative(context.folder.dir, runStorePath(dir)),
  };
  writeJsonAtomic(path.join(dir, "collect.json"), summary);
  return summary;
}

/** Runs stage 1; returns its one-line summary. */
export async function runCollect(context: StageContext): Promise<string> {
  const { world, config } = context;
  writeTextAtomic(
    context.folder.path("sim-config.yaml"),
    resolvedConfigYaml({ sim: world.config, seed: config.seed, timeZone: config.timeZone }),
  );
  context.log(`simulator config frozen: hash ${world.configHash} (sim-config.yaml)`);
  const parts: string[] = [];
  for (const collection of collectionsNeeded(config)) {
    const s = await collectOne(context, collection);
    parts.push(
      `${collection}: ${count(s.users)} users x ${s.days} days, ${count(s.events)} events, ${count(s.sessions)} sessions`,
    );
  }
  return `sim ${world.configHash}; ${parts.join("; ")}`;
}
