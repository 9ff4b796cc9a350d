/**
 * The mutable state of one simulated user during a run: hidden session state (patience, the
 * satisfaction memory), the play history the state encoder reads, the user's random streams and
 * the running outcome totals. A `SessionSnapshot` is the hidden state at a session start, enough
 * (with the history) to roll the session out again under any policy (rollout.ts).
 */
import type { ExplorationGroup, PlayEvent } from "../core/events.js";
import type { Policy, UserOutcome } from "../core/interfaces.js";
import { Rng } from "../core/rng.js";
import { UserHistory } from "../core/state-encoder.js";
import { hash3 } from "./math.js";
import { type Population, userProfile } from "./population.js";
import { type UserResponse, userResponse } from "./response.js";
import { interestCumulative } from "./retrieval.js";
import type { SimWorld } from "./world.js";

/**
 * A change of the user model for one arm (A/B validation places effects here, not in metrics):
 * the user watches e^attentionLogShift times longer after a click and starts sessions with
 * patienceScale times the patience.
 */
export interface UserEffect {
  readonly attentionLogShift?: number;
  readonly patienceScale?: number;
}

/** Who serves a user in a run, and what is logged about it. */
export interface Assignment {
  readonly policy: Policy;
  readonly group: ExplorationGroup | null;
  /** σ of the exploration noise in the normalised action space, when the group explores. */
  readonly noiseScale: number | null;
  readonly arm: string | null;
  readonly effect?: UserEffect;
}

/** The hidden state of a user at the start of a session. JSON-serialisable. */
export interface SessionSnapshot {
  readonly userId: string;
  /** `${userId}:${sessionSeq}`, the events' session id. */
  readonly sessionId: string;
  /** 1-based number of the session within the user's log. */
  readonly sessionSeq: number;
  readonly day: number;
  /** Timestamp of the session's first request (= its first event's timestamp). */
  readonly startMs: number;
  /** Satisfaction memory S̄ at the session start. */
  readonly memory: number;
  /** Sessions the user already had on this day. */
  readonly sessionsToday: number;
}

/** Per-user result of a run: core's `UserOutcome` plus per-day series. */
export interface SimUserOutcome extends UserOutcome {
  readonly arm: string | null;
  readonly dailyAppTimeS: Float64Array;
  readonly dailyPlays: Float64Array;
  readonly dailyPositivePlays: Float64Array;
  readonly dailySessions: Float64Array;
}

const STREAM_RETRIEVAL = 1;
const STREAM_OUTCOME = 2;
const STREAM_SCHEDULE = 3;

export class UserState {
  readonly id: string;
  readonly key: number;
  readonly assignment: Assignment;
  readonly response: UserResponse;
  readonly interests: Float64Array;
  readonly profile: Float32Array;
  readonly history: UserHistory;
  readonly patience0: number;
  readonly returnLogit: number;
  readonly returnSensitivity: number;
  readonly againTodayLogit: number;
  /** Seed of the user's random streams in this run (same id → same streams in every arm). */
  readonly streamSeed: number;

  retrievalRng: Rng;
  outcomeRng: Rng;
  scheduleRng: Rng;

  memory: number;
  sessionSeq = 0;
  lastEventMs = Number.NEGATIVE_INFINITY;
  day = 0;
  daySalt = 0;
  dayEndMs = 0;

  inSession = false;
  hasNextToday = false;
  nextStartMs = 0;
  nowMs = 0;
  sessionStartMs = 0;
  position = 0;
  patience = 0;
  sessionSatisfaction = 0;
  sessionPlays = 0;
  sessionAppTimeS = 0;
  discountedReturn = 0;
  discount = 1;
  decisionSeed: number | null = null;
  sessionsToday = 0;
  daySatisfaction = 0;
  dayPlays = 0;

  appTimeS = 0;
  plays = 0;
  positivePlays = 0;
  sessions = 0;
  activeDays = 0;
  readonly dailyAppTimeS: Float64Array;
  readonly dailyPlays: Float64Array;
  readonly dailyPositivePlays: Float64Array;
  readonly dailySessions: Float64Array;
  /** Events of the current run waiting for the sink. */
  readonly pendingEvents: PlayEvent[] = [];

  constructor(
    world: SimWorld,
    pop: Population,
    u: number,
    assignment: Assignment,
    streamSeed: number,
    days: number,
    memory: number,
  ) {
    const config = world.config;
    const effect = assignment.effect ?? {};
    this.id = pop.ids[u];
    this.key = pop.key[u];
    this.assignment = assignment;
    const response = userResponse(config, pop, u);
    const shift = effect.attentionLogShift ?? 0;
    if (shift !== 0) for (let k = 0; k < response.attention.length; k++) response.attention[k] += shift;
    this.response = response;
    this.interests = interestCumulative(
      response.affinity,
      config.retrieval.interestTemperature,
      world.catalogue,
    );
    this.profile = userProfile(pop, u);
    this.history = new UserHistory();
    this.patience0 = pop.patience[u] * (effect.patienceScale ?? 1);
    this.returnLogit = pop.returnLogit[u];
    this.returnSensitivity = pop.returnSensitivity[u];
    this.againTodayLogit = pop.againTodayLogit[u];
    this.streamSeed = streamSeed;
    this.memory = memory;
    this.dailyAppTimeS = new Float64Array(days);
    this.dailyPlays = new Float64Array(days);
    this.dailyPositivePlays = new Float64Array(days);
    this.dailySessions = new Float64Array(days);
    this.retrievalRng = new Rng(0);
    this.outcomeRng = new Rng(0);
    this.scheduleRng = new Rng(0);
  }

  /** Re-keys the user's streams for `day` (and a rollout repeat), so each day's draws are independent. */
  seedStreams(day: number, repeat = 0): void {
    const base = hash3(this.streamSeed, day, repeat);
    this.retrievalRng = new Rng(hash3(base, STREAM_RETRIEVAL, 0));
    this.outcomeRng = new Rng(hash3(base, STREAM_OUTCOME, 0));
    this.scheduleRng = new Rng(hash3(base, STREAM_SCHEDULE, 0));
  }

  sessionId(): string {
    return `${this.id}:${this.sessionSeq}`;
  }

  snapshot(): SessionSnapshot {
    return {
      userId: this.id,
      sessionId: this.sessionId(),
      sessionSeq: this.sessionSeq,
      day: this.day,
      startMs: this.nowMs,
      memory: this.memory,
      sessionsToday: this.sessionsToday - 1,
    };
  }

  outcome(): SimUserOutcome {
    return {
      userId: this.id,
      arm: this.assignment.arm,
      appTimeS: this.appTimeS,
      plays: this.plays,
      positivePlays: this.positivePlays,
      sessions: this.sessions,
      activeDays: this.activeDays,
      dailyAppTimeS: this.dailyAppTimeS,
      dailyPlays: this.dailyPlays,
      dailyPositivePlays: this.dailyPositivePlays,
      dailySessions: this.dailySessions,
    };
  }
}
