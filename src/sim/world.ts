/**
 * A simulated platform: the config, the video catalogue and the static tables of the response and
 * MTL models. Built once from (config, seed); users are generated per run from their ids
 * (population.ts), so one world serves any number of runs, arms and rollouts.
 */
import { timeZoneOffsetMinutes } from "../core/config.js";
import { deriveSeed, Rng } from "../core/rng.js";
import { type Catalogue, generateCatalogue } from "./catalogue.js";
import { type SimConfig, simConfigHash } from "./config.js";
import { buildMtlModel, type MtlModel } from "./mtl.js";
import { buildResponseModel, type ResponseModel } from "./response.js";

export interface SimWorld {
  readonly config: SimConfig;
  /** Seed of the world: catalogue and user traits derive from it. */
  readonly seed: number;
  /** Hash of (config, seed), printed with every result. */
  readonly configHash: string;
  readonly catalogue: Catalogue;
  readonly response: ResponseModel;
  readonly mtl: MtlModel;
  /** Local time zone of days and hour features, minutes east of UTC. */
  readonly utcOffsetMinutes: number;
  /** Epoch ms of local midnight starting day 0. */
  readonly startMs: number;
}

export interface WorldOptions {
  /** A "±HH:MM" offset (DESIGN.md: days are local calendar days, default UTC+8). */
  readonly timeZone?: string;
}

export function createWorld(config: SimConfig, seed: number, options: WorldOptions = {}): SimWorld {
  const catalogue = generateCatalogue(config, new Rng(deriveSeed(seed, "catalogue")));
  const utcOffsetMinutes = timeZoneOffsetMinutes(options.timeZone ?? "+08:00");
  const [y, m, d] = config.startDate.split("-").map(Number);
  return {
    config,
    seed,
    configHash: simConfigHash(config, seed),
    catalogue,
    response: buildResponseModel(config, catalogue),
    mtl: buildMtlModel(config),
    utcOffsetMinutes,
    startMs: Date.UTC(y, m - 1, d) - utcOffsetMinutes * 60_000,
  };
}

/** Ids of the `count` users of a run's group, e.g. `s7-g0-u12`. */
export function freshUserIds(runSeed: number, group: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `s${runSeed}-g${group}-u${i}`);
}
