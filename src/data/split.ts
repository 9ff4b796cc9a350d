/**
 * Time split (paper Sec. 4.1): sessions ordered by start time, the first (1 − testFraction) of
 * them → train, the rest → test; a session is never split. Ties on the start time are broken by
 * (user_id, session number), the order the per-play rows stream in, so the split is
 * deterministic. Each split lists its transitions in time order: sessions by start, then the
 * session's transitions in play order (the order the replay buffer streams them in).
 */
import { MtfError } from "../core/errors.js";

/** Default share of sessions in the test split (paper: last 10%). */
export const DEFAULT_TEST_FRACTION = 0.1;

/**
 * Number of sessions in the train split: ceil(total · (1 − testFraction)), so with 10 sessions
 * and 0.1 → 9 train, 1 test; with 5 → 5 train, 0 test.
 */
export function trainSessionCount(total: number, testFraction: number): number {
  if (!(testFraction >= 0 && testFraction < 1)) {
    throw new MtfError("INVALID_ARGUMENT", `test fraction must be in [0, 1), got ${testFraction}`);
  }
  if (!Number.isInteger(total) || total < 0) {
    throw new MtfError("INVALID_ARGUMENT", `session count must be a non-negative integer, got ${total}`);
  }
  return Math.min(total, Math.max(0, Math.ceil(total * (1 - testFraction) - 1e-9)));
}

/** Sessions that hold transitions, in stream order ((user, time) order), as parallel arrays. */
export interface SessionSpans {
  readonly count: number;
  /** [count] ts of the session's first play, ms. */
  readonly startMs: Float64Array;
  /** [count] index of the session's first transition. */
  readonly firstTransition: Int32Array;
  /** [count] number of transitions (consecutive from firstTransition). */
  readonly transitions: Int32Array;
}

/** Collects session spans while a build streams; arrays grow by doubling. */
export class SessionSpanCollector {
  private size = 0;
  private startMs = new Float64Array(1024);
  private firstTransition = new Int32Array(1024);
  private transitions = new Int32Array(1024);

  add(startMs: number, firstTransition: number, transitions: number): void {
    if (this.size === this.startMs.length) {
      const n = this.size * 2;
      const startMsGrown = new Float64Array(n);
      const firstGrown = new Int32Array(n);
      const transitionsGrown = new Int32Array(n);
      startMsGrown.set(this.startMs);
      firstGrown.set(this.firstTransition);
      transitionsGrown.set(this.transitions);
      this.startMs = startMsGrown;
      this.firstTransition = firstGrown;
      this.transitions = transitionsGrown;
    }
    const i = this.size++;
    this.startMs[i] = startMs;
    this.firstTransition[i] = firstTransition;
    this.transitions[i] = transitions;
  }

  spans(): SessionSpans {
    const n = this.size;
    return {
      count: n,
      startMs: this.startMs.subarray(0, n),
      firstTransition: this.firstTransition.subarray(0, n),
      transitions: this.transitions.subarray(0, n),
    };
  }
}

export interface TimeSplit {
  readonly trainSessions: number;
  readonly testSessions: number;
  /** Train transition indices in time order. */
  readonly train: Int32Array;
  /** Test transition indices in time order. */
  readonly test: Int32Array;
}

/**
 * Splits sessions by start time: sorted by start (stable, so ties keep stream order, i.e.
 * user_id then session), the first `trainSessionCount` → train, the rest → test. Each split
 * lists its transitions in time order: sessions by start, each session's in play order.
 */
export function timeSplit(spans: SessionSpans, testFraction: number): TimeSplit {
  const order = Array.from({ length: spans.count }, (_, s) => s);
  order.sort((a, b) => spans.startMs[a] - spans.startMs[b]); // stable
  const nTrain = trainSessionCount(spans.count, testFraction);
  const gather = (sessions: readonly number[]): Int32Array => {
    let total = 0;
    for (const s of sessions) total += spans.transitions[s];
    const out = new Int32Array(total);
    let k = 0;
    for (const s of sessions) {
      const first = spans.firstTransition[s];
      for (let t = 0; t < spans.transitions[s]; t++) out[k++] = first + t;
    }
    return out;
  };
  return {
    trainSessions: nTrain,
    testSessions: spans.count - nTrain,
    train: gather(order.slice(0, nTrain)),
    test: gather(order.slice(nTrain)),
  };
}
