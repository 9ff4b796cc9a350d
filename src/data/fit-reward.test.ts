import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { FALLBACK_REWARD_WEIGHTS, N_REWARD_FEATURES, REWARD_FEATURES } from "../core/reward.js";
import { Rng } from "../core/rng.js";
import {
  fitFromUserDays,
  fitRewardWeights,
  MIN_USER_DAYS,
  ols,
  readRewardWeightsFile,
  tQuantile975,
  userDays,
  writeRewardWeightsFile,
} from "./fit-reward.js";
import { importKuaiRand } from "./import-kuairand.js";
import { LogStore } from "./log-store.js";
import { playEvent } from "./synthetic-log.js";

// KuaiRand-1K random-exposure excerpt (Gao et al., KuaiRand, CIKM 2022, https://kuairand.com),
// CC BY-SA 4.0; see shared/data/kuairand-1k/README.md.
const EXCERPT = fileURLToPath(
  new URL("../../../shared/data/kuairand-1k/log_random_sample.csv", import.meta.url),
);

const LIKE = REWARD_FEATURES.indexOf("like");
const TIME = REWARD_FEATURES.indexOf("play_time_min");

/** n user-days with future = 3 + 2·like + 0.5·playMin + N(0, 0.5²); other rates vary independently. */
function plantedUserDays(n: number, seed: number): { rates: Float64Array; future: Float64Array } {
  const rng = new Rng(seed);
  const rates = new Float64Array(n * N_REWARD_FEATURES);
  const future = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < N_REWARD_FEATURES; j++)
      rates[i * N_REWARD_FEATURES + j] = rng.uniform() * (j === TIME ? 3 : 0.3);
    future[i] =
      3 +
      2 * rates[i * N_REWARD_FEATURES + LIKE] +
      0.5 * rates[i * N_REWARD_FEATURES + TIME] +
      0.5 * rng.normal();
  }
  return { rates, future };
}

async function withStore<T>(body: (store: LogStore, dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-fit-reward-"));
  const store = await LogStore.open(path.join(dir, "store.duckdb"));
  try {
    return await body(store, dir);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("reward fitting", () => {
  it("has the Student t quantiles", () => {
    assert.ok(Math.abs(tQuantile975(10) - 2.228) < 1e-3);
    assert.ok(Math.abs(tQuantile975(30) - 2.042) < 1e-3);
    assert.ok(Math.abs(tQuantile975(1e9) - 1.96) < 1e-3);
  });

  it("solves least squares exactly on a noiseless line and reports a singular design", () => {
    const x = Float64Array.from([0, 1, 1, 0, 2, 2, 3, 1, 4, 0]); // [5 x 2]
    const y = Float64Array.from({ length: 5 }, (_, i) => 1 + 2 * x[2 * i] - 3 * x[2 * i + 1]);
    const fit = ols(x, y, 5, 2);
    assert.ok(fit !== null);
    assert.deepEqual(
      Array.from(fit.estimate, (v) => Math.round(v * 1e9) / 1e9),
      [1, 2, -3],
    );
    assert.ok(Math.abs(fit.r2 - 1) < 1e-12);
    const collinear = Float64Array.from([0, 0, 1, 2, 2, 4, 3, 6, 4, 8]);
    assert.equal(ols(collinear, y, 5, 2), null);
  });

  it("recovers a planted relation: future time = 3 + 2·like rate + 0.5·play minutes + noise", () => {
    const n = 5000;
    const { rates, future } = plantedUserDays(n, 7); // a seed whose three intervals cover (about 86% do)
    const fit = fitFromUserDays(rates, future, n, 7);
    const coef = new Map(fit.coefficients.map((c) => [c.term, c]));
    for (const [term, truth] of [
      ["intercept", 3],
      ["like", 2],
      ["play_time_min", 0.5],
    ] as const) {
      const c = coef.get(term);
      assert.ok(
        c !== undefined && c.low <= truth && truth <= c.high,
        `${term}: [${c?.low}, ${c?.high}] misses ${truth}`,
      );
      assert.ok(Math.abs(c.estimate - truth) < 0.15, `${term}: ${c.estimate} vs ${truth}`);
      assert.ok(c.significant);
    }
    assert.equal(fit.n, n);
    assert.ok(fit.r2 !== null && fit.r2 > 0.4 && fit.r2 < 0.55, `R² ${fit.r2}`); // signal var 0.22, noise 0.25
    assert.equal(fit.usedFallback, false);
    // Eq. 2 mapping: play time in minutes keeps weight 1, like = 2 / 0.5 = 4 minutes.
    assert.equal(fit.weights.play_time_min, 1);
    assert.equal(fit.sources.like, "fitted");
    assert.ok(Math.abs(fit.weights.like - 4) < 0.8, `like weight ${fit.weights.like}`);
    // Features without effect are (mostly) not significant and keep their fallback constant.
    for (const feature of REWARD_FEATURES) {
      if (fit.sources[feature] === "fallback") {
        assert.equal(fit.weights[feature], FALLBACK_REWARD_WEIGHTS[feature]);
        assert.ok(fit.warnings.some((w) => w.startsWith(feature)));
      }
    }
  });

  it("gives 95% intervals that cover the truth about 95% of the time", () => {
    const reps = 200;
    let covered = 0;
    for (let r = 0; r < reps; r++) {
      const { rates, future } = plantedUserDays(1000, 100 + r);
      const like = fitFromUserDays(rates, future, 1000, 7).coefficients.find((c) => c.term === "like");
      if (like !== undefined && like.low <= 2 && 2 <= like.high) covered += 1;
    }
    assert.ok(covered / reps > 0.9 && covered / reps < 0.99, `coverage ${covered / reps}`);
  });

  it("falls back, and says so, with too few user-days", () => {
    const { rates, future } = plantedUserDays(MIN_USER_DAYS - 1, 2);
    const fit = fitFromUserDays(rates, future, MIN_USER_DAYS - 1, 7);
    assert.equal(fit.usedFallback, true);
    assert.deepEqual(fit.weights, FALLBACK_REWARD_WEIGHTS);
    assert.match(fit.warnings[0], /only 199 user-days/);
  });

  it("computes user-day rates and the future app time over the horizon from the log", async () => {
    const day = 86_400_000;
    const t0 = Date.UTC(2022, 3, 22, 2, 0, 0); // 10:00 at UTC+8
    const days = await withStore(async (store) => {
      await store.appendEvents([
        // u: day 0 two plays (one like), day 1 one play, day 3 one play, day 9 one play (log end).
        playEvent({ userId: "u", timestampMs: t0, playTimeMs: 60_000, outcomes: { like: 1 } }),
        playEvent({ userId: "u", timestampMs: t0 + 60_000, playTimeMs: 120_000 }),
        playEvent({ userId: "u", timestampMs: t0 + day, playTimeMs: 30_000 }),
        playEvent({ userId: "u", timestampMs: t0 + 3 * day, playTimeMs: 90_000, durationMs: 0 }),
        playEvent({ userId: "u", timestampMs: t0 + 9 * day, playTimeMs: 1_000 }),
      ]);
      return userDays(store, { horizonDays: 2 });
    });
    // Days 0, 1, 3 have a full 2-day horizon inside the log (last day 9); day 9 does not.
    assert.equal(days.n, 3);
    assert.equal(days.excluded, 1);
    assert.deepEqual(Array.from(days.future), [0.5, 1.5, 0]); // day 0 → day 1; day 1 → day 3; day 3 → none
    const row = (i: number, feature: string) =>
      days.rates[i * N_REWARD_FEATURES + REWARD_FEATURES.indexOf(feature as never)];
    assert.equal(row(0, "play_time_min"), 1.5);
    assert.equal(row(0, "like"), 0.5);
    assert.equal(row(0, "play_integrity"), 1); // 60 s and 120 s of 20 s videos, capped at 1
    assert.equal(row(2, "play_integrity"), 0); // unknown duration counts 0, as in Eq. 2
  });

  it("runs on the tiny KuaiRand excerpt and warns that it falls back", async () => {
    await withStore(async (store, dir) => {
      await importKuaiRand(store, EXCERPT);
      const fit = await fitRewardWeights(store);
      assert.ok(fit.n > 0);
      assert.equal(fit.usedFallback, true);
      assert.ok(fit.warnings.length > 0);
      assert.deepEqual(fit.weights, FALLBACK_REWARD_WEIGHTS);
      const file = writeRewardWeightsFile(dir, fit, store.path);
      const read = readRewardWeightsFile(dir);
      assert.equal(read?.path, file);
      assert.deepEqual(read?.file.weights, FALLBACK_REWARD_WEIGHTS);
      assert.equal(read?.file.usedFallback, true);
      fs.writeFileSync(file, JSON.stringify({ format: "mtf-reward-weights", weights: { like: 1 } }));
      assert.throws(() => readRewardWeightsFile(dir), { code: "CHECKPOINT_CORRUPT" });
    });
    assert.equal(readRewardWeightsFile(os.tmpdir()), null);
  });
});
