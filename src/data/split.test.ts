import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rng } from "../core/rng.js";
import { SessionSpanCollector, timeSplit, trainSessionCount } from "./split.js";

describe("time split", () => {
  it("puts ceil(n·(1 − f)) sessions in train", () => {
    assert.equal(trainSessionCount(10, 0.1), 9);
    assert.equal(trainSessionCount(5, 0.1), 5);
    assert.equal(trainSessionCount(100, 0.25), 75);
    assert.equal(trainSessionCount(0, 0.1), 0);
    assert.equal(trainSessionCount(7, 0), 7);
    assert.throws(() => trainSessionCount(10, 1), { code: "INVALID_ARGUMENT" });
    assert.throws(() => trainSessionCount(10, -0.1), { code: "INVALID_ARGUMENT" });
  });

  it("never splits a session and keeps time order: every train session starts no later than any test one", () => {
    const rng = new Rng(3);
    const collector = new SessionSpanCollector();
    // 3000 sessions of 1-20 transitions in stream (user) order, start times shuffled, some tied.
    let next = 0;
    const sessionOf: number[] = [];
    for (let s = 0; s < 3000; s++) {
      const n = 1 + rng.int(20);
      collector.add(1_000 * rng.int(500), next, n);
      for (let t = 0; t < n; t++) sessionOf.push(s);
      next += n;
    }
    const spans = collector.spans();
    const split = timeSplit(spans, 0.1);
    assert.equal(split.trainSessions, 2700);
    assert.equal(split.testSessions, 300);
    assert.equal(split.train.length + split.test.length, next);
    const trainSessions = new Set(Array.from(split.train, (t) => sessionOf[t]));
    const testSessions = new Set(Array.from(split.test, (t) => sessionOf[t]));
    assert.equal(trainSessions.size, 2700);
    assert.equal(testSessions.size, 300);
    for (const s of trainSessions) assert.ok(!testSessions.has(s), `session ${s} is in both splits`);
    const latestTrain = Math.max(...[...trainSessions].map((s) => spans.startMs[s]));
    const earliestTest = Math.min(...[...testSessions].map((s) => spans.startMs[s]));
    assert.ok(latestTrain <= earliestTest);
    // Within a split: sessions by start (ties in stream order), each session's transitions in order.
    for (const order of [split.train, split.test]) {
      for (let i = 1; i < order.length; i++) {
        const [a, b] = [sessionOf[order[i - 1]], sessionOf[order[i]]];
        if (a === b) assert.equal(order[i], order[i - 1] + 1);
        else
          assert.ok(spans.startMs[a] < spans.startMs[b] || (spans.startMs[a] === spans.startMs[b] && a < b));
      }
    }
  });
});
