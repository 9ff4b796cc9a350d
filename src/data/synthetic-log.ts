/**
 * A seeded synthetic event log for tests and benchmarks of the data pipeline: users with daily
 * sessions of plays, logged α / actions / MTL scores, exploration groups and feedback. It has no
 * user model (that is the simulator's job, sim/); outcomes are drawn independently with plausible
 * rates, except that fit-reward tests can add a planted relation of their own.
 */
import { DEFAULT_ALPHA_BOUNDS } from "../core/action.js";
import type { ExplorationGroup, PlayEvent } from "../core/events.js";
import { Rng } from "../core/rng.js";
import { TASKS } from "../core/tasks.js";

export interface SyntheticLogOptions {
  readonly users: number;
  readonly days: number;
  /** First day's local midnight, epoch ms (default 2022-04-22T00:00+08:00). */
  readonly startMs?: number;
  /** Mean sessions per active day (default 2). */
  readonly sessionsPerDay?: number;
  /** Mean plays per session (default 12). */
  readonly playsPerSession?: number;
  /** Probability a user is active on a day (default 0.7). */
  readonly activeDayProbability?: number;
  /** Share of users whose log carries explicit session ids (default 0). */
  readonly sessionIdShare?: number;
  readonly seed: number;
}

const DEFAULT_START_MS = Date.UTC(2022, 3, 21, 16, 0, 0);
const DAY_MS = 86_400_000;

/** Exploration group of a user: a stable share of 40% random, 40% action-noise, 20% target. */
function syntheticGroup(user: number): ExplorationGroup {
  const bucket = user % 5;
  return bucket < 2 ? "random" : bucket < 4 ? "action_noise" : "target";
}

function poisson(rng: Rng, mean: number): number {
  // Knuth's method; means here are small.
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.uniform();
  while (p > limit) {
    k += 1;
    p *= rng.uniform();
  }
  return k;
}

/**
 * Yields the log user by user, in batches of one user's events (time order), so callers can
 * append them to a store without holding the whole log.
 */
export function* syntheticLog(options: SyntheticLogOptions): Generator<PlayEvent[]> {
  const rng = new Rng(options.seed);
  const startMs = options.startMs ?? DEFAULT_START_MS;
  const sessionsPerDay = options.sessionsPerDay ?? 2;
  const playsPerSession = options.playsPerSession ?? 12;
  const activeDay = options.activeDayProbability ?? 0.7;
  const sessionIdShare = options.sessionIdShare ?? 0;
  const { low, high } = DEFAULT_ALPHA_BOUNDS;
  for (let user = 0; user < options.users; user++) {
    const userId = `u${user}`;
    const group = syntheticGroup(user);
    const withSessionIds = rng.uniform() < sessionIdShare;
    const taste = 0.5 + rng.uniform(); // how long this user tends to watch
    const events: PlayEvent[] = [];
    let n = 0;
    for (let day = 0; day < options.days; day++) {
      if (!rng.bernoulli(activeDay)) continue;
      const sessions = 1 + poisson(rng, Math.max(sessionsPerDay - 1, 0));
      // Session starts spread over the local day, in order, at least 2 h apart.
      let ts = startMs + day * DAY_MS + 7 * 3_600_000 + rng.int(3_600_000);
      for (let s = 0; s < sessions; s++) {
        const plays = 1 + poisson(rng, playsPerSession - 1);
        const sessionId = withSessionIds ? `${userId}-d${day}-s${s}` : null;
        const action = TASKS.map(() =>
          Math.max(-1, Math.min(1, (group === "target" ? 0.3 : 0.6) * rng.normal())),
        );
        const alpha = action.map((a, i) => low[i] + 0.5 * (a + 1) * (high[i] - low[i]));
        for (let p = 0; p < plays; p++) {
          const durationMs = 5_000 + rng.int(115_000);
          const playTimeMs = Math.min(Math.round(durationMs * taste * rng.uniform() * 1.3), 3 * durationMs);
          const like = rng.bernoulli(0.04) ? 1 : 0;
          events.push({
            eventId: `${userId}-${n}`,
            userId,
            itemId: `v${rng.int(50_000)}`,
            requestId: `${userId}-r${n}`,
            sessionId,
            timestampMs: ts,
            candidateSetId: null,
            candidateCount: 100,
            position: 0,
            scores: TASKS.map((t) => (t === "play_time" ? 30 * rng.uniform() : rng.uniform())),
            alpha,
            action,
            policyVersion: "behaviour",
            explorationGroup: group,
            noiseScale: group === "target" ? null : 0.1,
            propensity: null,
            decisionSeed: null,
            experimentArm: null,
            durationMs,
            playTimeMs,
            outcomes: {
              click: 1,
              long_view: playTimeMs >= 18_000 ? 1 : 0,
              finish: playTimeMs >= durationMs ? 1 : 0,
              skip: playTimeMs < 3_000 ? 1 : 0,
              like,
              comment: rng.bernoulli(0.01) ? 1 : 0,
              follow: rng.bernoulli(0.005) ? 1 : 0,
              forward: rng.bernoulli(0.005) ? 1 : 0,
              profile_enter: rng.bernoulli(0.02) ? 1 : 0,
              hate: rng.bernoulli(0.002) ? 1 : 0,
              exit: null,
            },
          });
          n += 1;
          ts += playTimeMs + 1_000 + rng.int(4_000);
        }
        ts += 2 * 3_600_000 + rng.int(3 * 3_600_000);
      }
    }
    if (events.length > 0) yield events;
  }
}

/** Overridable fields of a hand-made event (`outcomes` entries are merged over the defaults). */
export type PlayEventInput = Partial<Omit<PlayEvent, "outcomes">> & {
  readonly userId: string;
  readonly timestampMs: number;
  readonly outcomes?: Partial<PlayEvent["outcomes"]>;
};

/**
 * A hand-made event for tests: a 10 s play of a 20 s video with no interaction, an all-zero
 * action (α mid-range) from the random exploration group, unless overridden (`action: null`
 * makes a play without a logged action, like KuaiRand's).
 */
export function playEvent(input: PlayEventInput): PlayEvent {
  const { low, high } = DEFAULT_ALPHA_BOUNDS;
  const action = input.action === undefined ? TASKS.map(() => 0) : input.action;
  const base: PlayEvent = {
    eventId: `${input.userId}@${input.timestampMs}`,
    userId: input.userId,
    itemId: "v1",
    requestId: `${input.userId}@${input.timestampMs}`,
    sessionId: null,
    timestampMs: input.timestampMs,
    candidateSetId: null,
    candidateCount: null,
    position: null,
    scores: null,
    alpha: action === null ? null : action.map((a, i) => low[i] + 0.5 * (a + 1) * (high[i] - low[i])),
    action,
    policyVersion: null,
    explorationGroup: "random",
    noiseScale: null,
    propensity: null,
    decisionSeed: null,
    experimentArm: null,
    durationMs: 20_000,
    playTimeMs: 10_000,
    outcomes: {
      click: 1,
      long_view: 0,
      finish: 0,
      skip: 0,
      like: 0,
      comment: 0,
      follow: 0,
      forward: 0,
      profile_enter: 0,
      hate: 0,
      exit: null,
    },
  };
  return { ...base, ...input, action, outcomes: { ...base.outcomes, ...input.outcomes } };
}
