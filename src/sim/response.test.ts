import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rng } from "../core/rng.js";
import { N_TASKS, taskIndex } from "../core/tasks.js";
import { simPreset } from "./config.js";
import { generatePopulation } from "./population.js";
import {
  candidateTruth,
  DRAWS_PER_PLAY,
  INTERACTIONS,
  newPlayResult,
  samplePlay,
  userResponse,
} from "./response.js";
import { createWorld } from "./world.js";

const T = (name: string) => taskIndex(name);

describe("response model", () => {
  const config = simPreset("small");
  const world = createWorld(config, 11);
  const pop = generatePopulation(config, 11, ["a", "b", "c"]);

  it("gives probabilities in [0, 1] with long view ≤ click and finish ≤ long view", () => {
    const user = userResponse(config, pop, 0);
    const candidates = Int32Array.from({ length: 500 }, (_, i) => i * 7);
    const truth = new Float32Array(500 * N_TASKS);
    candidateTruth(world.response, user, { patience: 3, lastAllowed: false }, candidates, 500, truth);
    for (let c = 0; c < 500; c++) {
      const row = truth.subarray(c * N_TASKS, (c + 1) * N_TASKS);
      for (let t = 0; t < N_TASKS; t++) {
        if (t === T("play_time")) assert.ok(row[t] > 0);
        else assert.ok(row[t] >= 0 && row[t] <= 1, `task ${t} = ${row[t]}`);
      }
      assert.ok(row[T("long_view")] <= row[T("click")] + 1e-6);
      assert.ok(row[T("finish")] <= row[T("long_view")] + 1e-6);
    }
  });

  it("samples feedback whose frequencies match the closed-form truth", () => {
    const rng = new Rng(5);
    const draws = new Float64Array(DRAWS_PER_PLAY);
    const play = newPlayResult();
    const n = 40_000;
    for (const [u, v] of [
      [0, 3],
      [1, 101],
      [2, 977],
    ]) {
      const user = userResponse(config, pop, u);
      const truth = new Float32Array(N_TASKS);
      candidateTruth(world.response, user, { patience: 5, lastAllowed: false }, Int32Array.of(v), 1, truth);
      const sums = new Float64Array(N_TASKS);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < DRAWS_PER_PLAY; k++) draws[k] = rng.uniform();
        samplePlay(world.response, user, v, draws, play);
        sums[T("click")] += play.clicked ? 1 : 0;
        sums[T("long_view")] += play.longView ? 1 : 0;
        sums[T("finish")] += play.finish ? 1 : 0;
        sums[T("play_time")] += play.playTimeS;
        sums[T("skip")] += play.skip ? 1 : 0;
        for (let j = 0; j < INTERACTIONS.length; j++) sums[T(INTERACTIONS[j])] += play.interactions[j];
        sums[T("hate")] += play.hate ? 1 : 0;
      }
      for (const task of ["click", "long_view", "finish", "skip", "like", "profile_enter"]) {
        const p = truth[T(task)];
        const se = Math.sqrt((p * (1 - p)) / n);
        assert.ok(Math.abs(sums[T(task)] / n - p) < 5 * se + 1e-4, `${task}: ${sums[T(task)] / n} vs ${p}`);
      }
      const meanPlay = sums[T("play_time")] / n;
      assert.ok(
        Math.abs(meanPlay / truth[T("play_time")] - 1) < 0.06,
        `play ${meanPlay} vs ${truth[T("play_time")]}`,
      );
    }
  });

  it("makes exit certain when the next play is the last allowed", () => {
    const user = userResponse(config, pop, 0);
    const truth = new Float32Array(N_TASKS);
    candidateTruth(world.response, user, { patience: 50, lastAllowed: true }, Int32Array.of(1), 1, truth);
    assert.equal(truth[T("exit")], 1);
    candidateTruth(world.response, user, { patience: 50, lastAllowed: false }, Int32Array.of(1), 1, truth);
    assert.ok(Math.abs(truth[T("exit")] - user.exitHazard) < 1e-6);
  });
});
