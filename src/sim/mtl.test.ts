import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { N_TASKS, taskIndex } from "../core/tasks.js";
import { simPreset } from "./config.js";
import { logit } from "./math.js";
import { buildMtlModel, predictScores } from "./mtl.js";

describe("MTL predictions", () => {
  const config = simPreset("small", {
    mtl: { noiseSd: { click: 0.5 }, bias: { click: 0.3 }, sharedErrorShare: 0.5 },
  });
  const mtl = buildMtlModel(config);
  const n = 20_000;
  const candidates = Int32Array.from({ length: n }, (_, i) => i);
  const truth = new Float32Array(n * N_TASKS).fill(0.2);
  const click = taskIndex("click");

  it("is a deterministic function of (day, user, video) with the configured bias and noise", () => {
    const a = new Float32Array(n * N_TASKS);
    const b = new Float32Array(n * N_TASKS);
    predictScores(mtl, truth, candidates, n, 42, 7, a);
    predictScores(mtl, truth, candidates, n, 42, 7, b);
    assert.deepEqual(a, b);
    let sum = 0;
    let sumSq = 0;
    for (let c = 0; c < n; c++) {
      const e = logit(a[c * N_TASKS + click]) - logit(0.2);
      sum += e;
      sumSq += e * e;
    }
    const mean = sum / n;
    const sd = Math.sqrt(sumSq / n - mean * mean);
    assert.ok(Math.abs(mean - 0.3) < 0.02, `bias ${mean}`);
    assert.ok(Math.abs(sd - 0.5) < 0.02, `noise sd ${sd}`);
  });

  it("draws new errors on another day and keeps scores inside (0, 1)", () => {
    const a = new Float32Array(n * N_TASKS);
    const b = new Float32Array(n * N_TASKS);
    predictScores(mtl, truth, candidates, n, 42, 7, a);
    predictScores(mtl, truth, candidates, n, 42, 8, b);
    let same = 0;
    for (let c = 0; c < n; c++) if (a[c * N_TASKS + click] === b[c * N_TASKS + click]) same += 1;
    assert.ok(same < n * 0.01);
    for (let i = 0; i < a.length; i++)
      if (i % N_TASKS !== taskIndex("play_time")) assert.ok(a[i] > 0 && a[i] < 1);
  });

  it("shares part of the error across tasks, with the opposite sign on negative tasks", () => {
    const a = new Float32Array(n * N_TASKS);
    predictScores(mtl, truth, candidates, n, 1, 1, a);
    const corr = (t1: number, t2: number) => {
      let s1 = 0;
      let s2 = 0;
      let s12 = 0;
      let q1 = 0;
      let q2 = 0;
      for (let c = 0; c < n; c++) {
        const x = logit(a[c * N_TASKS + t1]);
        const y = logit(a[c * N_TASKS + t2]);
        s1 += x;
        s2 += y;
        s12 += x * y;
        q1 += x * x;
        q2 += y * y;
      }
      const cov = s12 / n - (s1 / n) * (s2 / n);
      return cov / Math.sqrt((q1 / n - (s1 / n) ** 2) * (q2 / n - (s2 / n) ** 2));
    };
    assert.ok(corr(click, taskIndex("long_view")) > 0.3);
    assert.ok(corr(click, taskIndex("skip")) < -0.3);
  });
});
