/**
 * The simulation loop. A request: retrieval offers C candidates, the MTL predicts their 12
 * scores, the user's policy gives α, Eq. 1 (core's `fusionScores`) ranks them, the top item is
 * played, feedback is sampled, patience and history update; the session ends when patience runs
 * out, by the exit hazard or at the play cap. Days and returns follow returns.ts.
 *
 * Users are independent, so they run in chunks (bounded memory: a history is ~52 KB) and, within
 * a chunk, in lockstep: each step encodes the states of every user in a session and calls each
 * policy once for its users (a network policy then runs on a batch). Stochastic policies are
 * called per request with an `Rng` seeded by the logged `decisionSeed`, so any decision replays.
 * Every random draw comes from the user's own streams (user-state.ts), so results do not depend
 * on chunking or on which other users run, and a user cloned into two arms sees the same draws.
 */
import {
  type AlphaBounds,
  actionToAlpha,
  alphaToAction,
  DEFAULT_ALPHA_BOUNDS,
  DEFAULT_BETA,
} from "../core/action.js";
import { MtfError } from "../core/errors.js";
import type { PlayEvent } from "../core/events.js";
import { fusionScores } from "../core/fusion.js";
import type { Policy } from "../core/interfaces.js";
import { N_REWARD_FEATURES, type PlayFeedback, reward, rewardFeatures } from "../core/reward.js";
import { deriveSeed, Rng } from "../core/rng.js";
import {
  encodeState,
  type PlayOutcome,
  recordPlay,
  stateDim,
  type UserHistory,
} from "../core/state-encoder.js";
import { N_TASKS } from "../core/tasks.js";
import { hash3 } from "./math.js";
import { predictScores } from "./mtl.js";
import { generatePopulation, PROFILE_DIM } from "./population.js";
import {
  candidateTruth,
  DRAWS_PER_PLAY,
  INTERACTIONS,
  newPlayResult,
  samplePlay,
  TASK_SLOTS as T,
} from "./response.js";
import { retrieveCandidates } from "./retrieval.js";
import {
  firstSessionOffsetMs,
  hourlyCumulative,
  returnProbability,
  sameDayGapMs,
  updateMemory,
} from "./returns.js";
import { type Assignment, type SessionSnapshot, type SimUserOutcome, UserState } from "./user-state.js";
import type { SimWorld } from "./world.js";

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const EVENT_BATCH = 4096;

/** The state dimension every policy driving the simulator must accept. */
export const SIM_STATE_DIM = stateDim(PROFILE_DIM);

/** Eq. 1 parameters (core config `fusion`); defaults from DESIGN.md. */
export interface FusionParams {
  readonly beta: ArrayLike<number>;
  readonly bounds: AlphaBounds;
}

export const DEFAULT_FUSION: FusionParams = { beta: DEFAULT_BETA, bounds: DEFAULT_ALPHA_BOUNDS };

/** Eq. 2 reward of each play, discounted within the session (γ). */
export interface RewardSpec {
  readonly weights: ArrayLike<number>;
  readonly gamma: number;
}

/** What a session did; `discountedReturn` is Σ_t γ^t r_t when a reward is given, else 0. */
export interface SessionSummary {
  readonly userId: string;
  readonly sessionId: string;
  readonly day: number;
  readonly startMs: number;
  readonly plays: number;
  readonly appTimeS: number;
  readonly meanSatisfaction: number;
  readonly discountedReturn: number;
}

/**
 * `ranked`: the platform's ranking (retrieval, MTL, Eq. 1). `random`: the played video is drawn
 * uniformly from the catalogue (KuaiRand's random-exposure condition, for calibration).
 */
export type Exposure = "ranked" | "random";

export interface RunUser {
  readonly id: string;
  readonly assignment: Assignment;
}

/** A ranked request handed to an external ranker (`SimulatorOptions.ranker`). */
export interface RankerRequest {
  readonly userId: string;
  readonly sessionId: string;
  /** `${sessionId}:${position}`: also the id of the play's event. */
  readonly requestId: string;
  readonly day: number;
  readonly timestampMs: number;
  /** Video indices [count] and their MTL scores [count x 12], task order; valid during the call only. */
  readonly candidates: Int32Array;
  readonly scores: Float32Array;
  readonly count: number;
}

/** The external ranker's choice: the candidate row played and the α it ranked with. */
export interface RankerDecision {
  readonly row: number;
  readonly alpha: ArrayLike<number>;
}

export interface SimulatorOptions {
  readonly exposure?: Exposure;
  /**
   * Ranks in place of the policy's Eq. 1 (the closed-loop client of a serving API,
   * src/pipeline/closed-loop.ts); the policy's action is computed and then replaced by the α used.
   */
  readonly ranker?: (request: RankerRequest) => RankerDecision;
  /** Called with each play's event as soon as it is sampled. */
  readonly onPlay?: (event: PlayEvent) => void;
  readonly fusion?: FusionParams;
  readonly reward?: RewardSpec;
  /** Ends every session after this many plays (calibration runs keep sessions short). */
  readonly sessionPlayLimit?: number;
  /** Called with batches of events, in order per user. */
  readonly onEvents?: (events: readonly PlayEvent[]) => void;
  readonly onSessionEnd?: (summary: SessionSummary) => void;
}

export interface DaysOptions {
  readonly days: number;
  /** Seed of the run: the users' random streams derive from it and their ids. */
  readonly seed: number;
  /** Users simulated together (memory ~52 KB each); results do not depend on it. */
  readonly chunkSize?: number;
  readonly onSessionStart?: (snapshot: SessionSnapshot, history: UserHistory) => void;
  readonly onProgress?: (usersDone: number, usersTotal: number) => void;
}

/** A session to roll out: a snapshot, the user's history at that moment and who serves it. */
export interface SessionStart {
  readonly snapshot: SessionSnapshot;
  readonly history: UserHistory;
  readonly assignment: Assignment;
  /** Distinguishes repeated rollouts of the same start (independent draws). */
  readonly repeat: number;
}

/** One shared `Rng` handed to deterministic policies, which must not draw from it. */
const UNUSED_RNG = new Rng(0);

export class Simulator {
  readonly world: SimWorld;
  private readonly dim = SIM_STATE_DIM;
  private readonly fusion: FusionParams;
  private readonly options: SimulatorOptions;
  private readonly candidates: Int32Array;
  private readonly truth: Float32Array;
  private readonly scores: Float32Array;
  private readonly fused: Float32Array;
  private readonly alpha = new Float64Array(N_TASKS);
  private readonly draws = new Float64Array(DRAWS_PER_PLAY);
  private readonly play = newPlayResult();
  private readonly outcomes = new Float64Array(N_TASKS);
  private readonly features = new Float64Array(N_REWARD_FEATURES);
  private readonly hourly: Float64Array;
  private readonly mtlSeed: number;
  private states = new Float32Array(0);
  private actions = new Float32Array(0);
  private readonly recorded: { -readonly [K in keyof PlayOutcome]: PlayOutcome[K] };
  private readonly feedback: {
    playTimeMs: number;
    durationMs: number | null;
    outcomes: { -readonly [K in keyof PlayFeedback["outcomes"]]: number | null };
  };

  constructor(world: SimWorld, options: SimulatorOptions) {
    this.world = world;
    this.options = options;
    this.fusion = options.fusion ?? DEFAULT_FUSION;
    const C = world.config.retrieval.candidates;
    this.candidates = new Int32Array(C);
    this.truth = new Float32Array(C * N_TASKS);
    this.scores = new Float32Array(C * N_TASKS);
    this.fused = new Float32Array(C);
    this.hourly = hourlyCumulative(world.config.returns.hourlyActivity);
    this.mtlSeed = deriveSeed(world.seed, "mtl");
    this.recorded = {
      timestampMs: 0,
      positionInSession: 0,
      playTimeMs: 0,
      durationMs: 0,
      outcomes: this.outcomes,
    };
    this.feedback = {
      playTimeMs: 0,
      durationMs: null,
      outcomes: { like: 0, comment: 0, follow: 0, forward: 0, profile_enter: 0, hate: 0, skip: 0 },
    };
  }

  /** Runs `users` for `days` days from day 0 and returns their outcomes, in input order. */
  runDays(users: readonly RunUser[], options: DaysOptions): SimUserOutcome[] {
    checkPolicies(
      users.map((u) => u.assignment.policy),
      this.dim,
    );
    if (!Number.isInteger(options.days) || options.days < 1) {
      throw new MtfError("INVALID_ARGUMENT", `days must be a positive integer, got ${options.days}`);
    }
    const chunkSize = options.chunkSize ?? 1024;
    const outcomes: SimUserOutcome[] = [];
    for (let start = 0; start < users.length; start += chunkSize) {
      const chunk = users.slice(start, start + chunkSize);
      const states = this.createStates(chunk, options.days, options.seed);
      for (let day = 0; day < options.days; day++) this.runDay(states, day, options);
      this.flushEvents(states, true);
      for (const state of states) outcomes.push(state.outcome());
      options.onProgress?.(Math.min(start + chunkSize, users.length), users.length);
    }
    return outcomes;
  }

  /** Rolls out one session from each start (rollout.ts); returns the session summaries in order. */
  runSessions(starts: readonly SessionStart[], seed: number): SessionSummary[] {
    checkPolicies(
      starts.map((s) => s.assignment.policy),
      this.dim,
    );
    const config = this.world.config;
    const ids = starts.map((s) => s.snapshot.userId);
    const pop = generatePopulation(config, this.world.seed, ids);
    const summaries: (SessionSummary | null)[] = new Array(starts.length).fill(null);
    const states = starts.map((start, i) => {
      const state = new UserState(
        this.world,
        pop,
        i,
        start.assignment,
        deriveSeed(seed, `rollout:${start.snapshot.userId}:${start.repeat}`),
        1,
        start.snapshot.memory,
      );
      state.history.data.set(start.history.data);
      state.seedStreams(start.snapshot.day);
      state.sessionSeq = start.snapshot.sessionSeq - 1;
      state.sessionsToday = start.snapshot.sessionsToday;
      state.day = start.snapshot.day;
      state.daySalt = hash3(this.mtlSeed, start.snapshot.day, 0);
      state.nextStartMs = start.snapshot.startMs;
      return state;
    });
    const index = new Map(states.map((s, i) => [s, i]));
    let live = sortByPolicy(states);
    const onEnd = (state: UserState, summary: SessionSummary) => {
      summaries[index.get(state) ?? 0] = summary;
    };
    for (const state of live) this.startSession(state, null);
    while (live.length > 0) {
      this.advance(live, onEnd);
      live = live.filter((s) => s.inSession);
    }
    this.flushEvents(states, true);
    return summaries.map((s) => {
      if (s === null) throw new MtfError("INTERNAL", "a rolled-out session did not end");
      return s;
    });
  }

  private createStates(chunk: readonly RunUser[], days: number, seed: number): UserState[] {
    const pop = generatePopulation(
      this.world.config,
      this.world.seed,
      chunk.map((u) => u.id),
    );
    const reference = this.world.config.returns.reference;
    const states = chunk.map(
      (u, i) =>
        new UserState(this.world, pop, i, u.assignment, deriveSeed(seed, `stream:${u.id}`), days, reference),
    );
    return sortByPolicy(states);
  }

  private runDay(states: readonly UserState[], day: number, options: DaysOptions): void {
    const config = this.world.config;
    const dayStart = this.world.startMs + day * DAY_MS;
    const daySalt = hash3(this.mtlSeed, day, 0);
    const live: UserState[] = [];
    for (const s of states) {
      s.seedStreams(day);
      s.day = day;
      s.daySalt = daySalt;
      s.dayEndMs = dayStart + DAY_MS;
      s.sessionsToday = 0;
      s.daySatisfaction = 0;
      s.dayPlays = 0;
      const returnDraw = s.scheduleRng.uniform();
      const p = returnProbability(s.returnLogit, s.returnSensitivity, s.memory, config.returns.reference);
      // Every user arrives on day 0; later days follow the return model.
      if (day > 0 && returnDraw >= p) continue;
      s.nextStartMs = Math.max(
        dayStart + firstSessionOffsetMs(this.hourly, s.scheduleRng),
        s.lastEventMs + MINUTE_MS,
      );
      s.hasNextToday = true;
      live.push(s);
    }
    let active = live;
    const onEnd = (state: UserState, summary: SessionSummary) => {
      this.options.onSessionEnd?.(summary);
      const r = config.returns;
      const again = returnProbability(
        state.againTodayLogit,
        state.returnSensitivity,
        state.memory,
        r.reference,
      );
      const draw = state.scheduleRng.uniform();
      const next = state.nowMs + sameDayGapMs(r.againTodayGapMinutes, state.scheduleRng);
      state.hasNextToday = draw < again && next < state.dayEndMs;
      state.nextStartMs = next;
    };
    while (active.length > 0) {
      for (const s of active) {
        if (!s.inSession) this.startSession(s, options.onSessionStart ?? null);
      }
      this.advance(active, onEnd);
      active = active.filter((s) => s.inSession || s.hasNextToday);
      this.flushEvents(states, false);
    }
    for (const s of live) {
      s.activeDays += 1;
      if (s.dayPlays > 0)
        s.memory = updateMemory(s.memory, s.daySatisfaction / s.dayPlays, config.returns.memory);
    }
  }

  private startSession(
    s: UserState,
    onStart: ((snapshot: SessionSnapshot, history: UserHistory) => void) | null,
  ): void {
    s.inSession = true;
    s.hasNextToday = false;
    s.sessionSeq += 1;
    s.sessions += 1;
    s.sessionsToday += 1;
    s.dailySessions[Math.min(s.day, s.dailySessions.length - 1)] += 1;
    // Event times are whole milliseconds (the log stores BIGINT ts_ms).
    s.nowMs = Math.round(Math.max(s.nextStartMs, s.lastEventMs + 1000));
    s.sessionStartMs = s.nowMs;
    s.position = 0;
    s.patience = s.patience0;
    s.sessionSatisfaction = 0;
    s.sessionPlays = 0;
    s.sessionAppTimeS = 0;
    s.discountedReturn = 0;
    s.discount = 1;
    onStart?.(s.snapshot(), s.history);
  }

  /** One request for every user of `live` (all in a session). */
  private advance(live: readonly UserState[], onEnd: (s: UserState, summary: SessionSummary) => void): void {
    const rows = live.length;
    const dim = this.dim;
    if (this.states.length < rows * dim) {
      this.states = new Float32Array(rows * dim);
      this.actions = new Float32Array(rows * N_TASKS);
    }
    const offset = this.world.utcOffsetMinutes;
    for (let i = 0; i < rows; i++) {
      const s = live[i];
      encodeState(s.history, s.profile, s.nowMs, s.position, this.states, i * dim, offset);
    }
    // Rows are sorted by policy: call each policy once on its contiguous rows.
    for (let i = 0; i < rows; ) {
      const policy = live[i].assignment.policy;
      let j = i + 1;
      while (j < rows && live[j].assignment.policy === policy) j++;
      if (policy.stochastic) {
        for (let r = i; r < j; r++) {
          const s = live[r];
          const seed = hash3(s.streamSeed, s.sessionSeq, s.position);
          s.decisionSeed = seed;
          policy.act(
            this.states.subarray(r * dim, (r + 1) * dim),
            1,
            this.actions.subarray(r * N_TASKS, (r + 1) * N_TASKS),
            new Rng(seed),
          );
        }
      } else {
        policy.act(
          this.states.subarray(i * dim, j * dim),
          j - i,
          this.actions.subarray(i * N_TASKS, j * N_TASKS),
          UNUSED_RNG,
        );
      }
      i = j;
    }
    for (let i = 0; i < rows; i++)
      this.step(live[i], this.actions.subarray(i * N_TASKS, (i + 1) * N_TASKS), onEnd);
  }

  /** Picks the item for user `s` under `action`, samples the play and updates everything. */
  private step(
    s: UserState,
    action: Float32Array,
    onEnd: (s: UserState, summary: SessionSummary) => void,
  ): void {
    const world = this.world;
    const config = world.config;
    const catalogue = world.catalogue;
    const C = config.retrieval.candidates;
    const limit = Math.min(
      config.session.maxPlays,
      this.options.sessionPlayLimit ?? Number.POSITIVE_INFINITY,
    );
    const patienceState = { patience: s.patience, lastAllowed: s.position + 1 >= limit };
    actionToAlpha(action, this.fusion.bounds, this.alpha);
    let row = 0;
    if (this.options.exposure === "random") {
      this.candidates[0] = Math.floor(s.retrievalRng.uniform() * catalogue.size);
      candidateTruth(world.response, s.response, patienceState, this.candidates, 1, this.truth);
      predictScores(world.mtl, this.truth, this.candidates, 1, s.key, s.daySalt, this.scores);
    } else {
      retrieveCandidates(
        catalogue,
        s.interests,
        config.retrieval.interestShare,
        s.retrievalRng,
        C,
        this.candidates,
      );
      candidateTruth(world.response, s.response, patienceState, this.candidates, C, this.truth);
      predictScores(world.mtl, this.truth, this.candidates, C, s.key, s.daySalt, this.scores);
      if (this.options.ranker === undefined) {
        fusionScores(this.scores, C, this.alpha, this.fusion.beta, this.fused);
        row = argmax(this.fused, C);
      } else {
        const sessionId = s.sessionId();
        const decision = this.options.ranker({
          userId: s.id,
          sessionId,
          requestId: `${sessionId}:${s.position}`,
          day: s.day,
          timestampMs: s.nowMs,
          candidates: this.candidates,
          scores: this.scores,
          count: C,
        });
        row = decision.row;
        this.alpha.set(decision.alpha);
        alphaToAction(this.alpha, this.fusion.bounds, action);
      }
    }
    const v = this.candidates[row];
    for (let k = 0; k < DRAWS_PER_PLAY; k++) this.draws[k] = s.outcomeRng.uniform();
    const play = this.play;
    samplePlay(world.response, s.response, v, this.draws, play);

    s.patience += play.engagement - 1;
    const leave = s.patience <= 0 || play.exitDraw < s.response.exitHazard || s.position + 1 >= limit;
    const playTimeMs = Math.round(play.playTimeS * 1000);
    const durationMs = Math.round(catalogue.durationS[v] * 1000);
    this.fillOutcomes(leave);
    const recorded = this.recorded;
    recorded.timestampMs = s.nowMs;
    recorded.positionInSession = s.position;
    recorded.playTimeMs = playTimeMs;
    recorded.durationMs = durationMs;
    recordPlay(s.history, recorded);
    if (this.options.onEvents !== undefined)
      s.pendingEvents.push(this.event(s, v, row, action, playTimeMs, durationMs));
    this.options.onPlay?.(this.event(s, v, row, action, playTimeMs, durationMs));
    if (this.options.reward !== undefined) {
      const fb = this.feedback;
      fb.playTimeMs = playTimeMs;
      fb.durationMs = durationMs;
      for (let j = 0; j < INTERACTIONS.length; j++) fb.outcomes[INTERACTIONS[j]] = play.interactions[j];
      fb.outcomes.hate = play.hate ? 1 : 0;
      fb.outcomes.skip = play.skip ? 1 : 0;
      rewardFeatures(fb, this.features);
      s.discountedReturn += s.discount * reward(this.features, this.options.reward.weights);
      s.discount *= this.options.reward.gamma;
    }

    const seconds = playTimeMs / 1000;
    const day = Math.min(s.day, s.dailyAppTimeS.length - 1);
    s.appTimeS += seconds;
    s.plays += 1;
    s.positivePlays += play.positive > 0 ? 1 : 0;
    s.dailyAppTimeS[day] += seconds;
    s.dailyPlays[day] += 1;
    s.dailyPositivePlays[day] += play.positive > 0 ? 1 : 0;
    s.sessionSatisfaction += play.satisfaction;
    s.sessionPlays += 1;
    s.sessionAppTimeS += seconds;
    s.daySatisfaction += play.satisfaction;
    s.dayPlays += 1;
    s.lastEventMs = s.nowMs;
    s.nowMs += Math.round(playTimeMs + config.session.interPlayGapS * 1000);
    s.position += 1;
    if (leave) {
      s.inSession = false;
      onEnd(s, {
        userId: s.id,
        sessionId: s.sessionId(),
        day: s.day,
        startMs: s.sessionStartMs,
        plays: s.sessionPlays,
        appTimeS: s.sessionAppTimeS,
        meanSatisfaction: s.sessionSatisfaction / s.sessionPlays,
        discountedReturn: s.discountedReturn,
      });
    }
  }

  /** The 12 observed outcomes of the play, task order (`play_time` slot unused by the encoder). */
  private fillOutcomes(leave: boolean): void {
    const play = this.play;
    const o = this.outcomes;
    o[T.click] = play.clicked ? 1 : 0;
    o[T.longView] = play.longView ? 1 : 0;
    o[T.finish] = play.finish ? 1 : 0;
    o[T.playTime] = play.playTimeS;
    o[T.skip] = play.skip ? 1 : 0;
    for (let j = 0; j < INTERACTIONS.length; j++) o[T.interactions[j]] = play.interactions[j];
    o[T.hate] = play.hate ? 1 : 0;
    o[T.exit] = leave ? 1 : 0;
  }

  private event(
    s: UserState,
    v: number,
    row: number,
    action: Float32Array,
    playTimeMs: number,
    durationMs: number,
  ): PlayEvent {
    const sessionId = s.sessionId();
    const requestId = `${sessionId}:${s.position}`;
    const a = s.assignment;
    const o = this.outcomes;
    return {
      eventId: requestId,
      userId: s.id,
      itemId: videoId(v),
      requestId,
      sessionId,
      timestampMs: s.nowMs,
      candidateSetId: null,
      candidateCount: this.options.exposure === "random" ? 1 : this.world.config.retrieval.candidates,
      position: 0,
      scores: Array.from(this.scores.subarray(row * N_TASKS, (row + 1) * N_TASKS)),
      alpha: Array.from(this.alpha),
      action: Array.from(action),
      policyVersion: a.policy.id,
      explorationGroup: a.group,
      noiseScale: a.noiseScale,
      propensity: null,
      decisionSeed: a.policy.stochastic ? s.decisionSeed : null,
      experimentArm: a.arm,
      durationMs,
      playTimeMs,
      outcomes: {
        click: o[T.click],
        long_view: o[T.longView],
        finish: o[T.finish],
        skip: o[T.skip],
        like: o[T.interactions[0]],
        comment: o[T.interactions[1]],
        follow: o[T.interactions[2]],
        forward: o[T.interactions[3]],
        profile_enter: o[T.interactions[4]],
        hate: o[T.hate],
        exit: o[T.exit],
      },
    };
  }

  private flushEvents(states: readonly UserState[], force: boolean): void {
    const sink = this.options.onEvents;
    if (sink === undefined) return;
    let pending = 0;
    for (const s of states) pending += s.pendingEvents.length;
    if (pending === 0 || (!force && pending < EVENT_BATCH)) return;
    const batch: PlayEvent[] = [];
    for (const s of states) {
      for (const e of s.pendingEvents) batch.push(e);
      s.pendingEvents.length = 0;
    }
    sink(batch);
  }
}

/** Item id of video index `v` in logs and the videos table. */
export function videoId(v: number): string {
  return `v${v}`;
}

function argmax(values: Float32Array, n: number): number {
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (x > bestValue) {
      bestValue = x;
      best = i;
    }
  }
  return best;
}

function sortByPolicy(states: readonly UserState[]): UserState[] {
  const order = new Map<Policy, number>();
  for (const s of states) if (!order.has(s.assignment.policy)) order.set(s.assignment.policy, order.size);
  return [...states].sort(
    (a, b) => (order.get(a.assignment.policy) ?? 0) - (order.get(b.assignment.policy) ?? 0),
  );
}

function checkPolicies(policies: readonly Policy[], dim: number): void {
  for (const policy of new Set(policies)) {
    if (policy.stateDim !== dim) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `policy "${policy.id}" takes states of ${policy.stateDim} features; the simulator's states have ${dim} ` +
          `(profile ${PROFILE_DIM} + history) — was it trained on another encoder or profile?`,
        { details: { policy: policy.id, expected: dim, actual: policy.stateDim } },
      );
    }
  }
}
