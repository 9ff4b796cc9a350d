/**
 * Data-pipeline benchmarks (DESIGN.md "Storage and scale"):
 * - `data-build`: a seeded synthetic log of 10 M events (500 k with --quick) — users with daily
 *   sessions, logged α / actions / MTL scores, exploration groups — is generated as Parquet by
 *   DuckDB and imported into a log store in a temp folder (not timed); then `buildDataset` runs
 *   end to end, timed. Reports events/s (target ≥ 500,000) and peak RSS (target < 4 GiB).
 * - `data-replay`: replay-buffer sampling of M = 256 mini-batches from 1 M transitions, FIFO
 *   window and `capacity: "all"`. Reports rows/s (target ≥ 1,000,000).
 * - `data-append`: `LogStore.appendEvents` of a synthetic log (~200 k events, 40 k with --quick)
 *   into a fresh store in batches of 10,000, the path of the simulator and the importers
 *   (row checks, staging, one transaction per batch). Reports events/s (no target).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { DEFAULT_ALPHA_BOUNDS } from "../../src/core/action.js";
import { EVENT_COLUMNS } from "../../src/core/events.js";
import { Rng } from "../../src/core/rng.js";
import { stateDim } from "../../src/core/state-encoder.js";
import { TASKS } from "../../src/core/tasks.js";
import { buildDataset } from "../../src/data/dataset.js";
import { LogStore } from "../../src/data/log-store.js";
import { ReplayBuffer } from "../../src/data/replay-buffer.js";
import { syntheticLog } from "../../src/data/synthetic-log.js";
import type { TransitionTable } from "../../src/data/transitions.js";
import { absolute, type BenchContext, type Measurement, type Workload } from "../harness.js";

const DAYS = 30;
/** Events per user over 30 days: 0.7 active days x 2 sessions x 12.5 plays x 30 ≈ 525. */
const EVENTS_PER_USER = 525;
const PROFILE_FEATURES = ["age_bucket", "tenure_days", "is_new"];

/** A pseudo-random integer in [0, n) keyed on the row (DuckDB `hash`, deterministic). */
function rand(key: string, n: number): string {
  return `CAST(hash(${key}) % ${n} AS BIGINT)`;
}

/** The synthetic events as one SELECT over the EVENT_COLUMNS, ~`users` x 525 rows. */
function syntheticEventsSql(users: number, seed: number): string {
  const start = Date.UTC(2022, 3, 21, 16, 0, 0); // 2022-04-22 00:00 +08:00
  const { low, high } = DEFAULT_ALPHA_BOUNDS;
  const key = (k: number) => `u, d, s, p, ${seed}, ${k}`;
  const exprs = new Map<string, string>([
    ["event_id", `'e' || u || '-' || d || '-' || s || '-' || p`],
    ["user_id", `'u' || u`],
    ["item_id", `'v' || ${rand(key(1), 50_000)}`],
    ["request_id", `'r' || u || '-' || d || '-' || s || '-' || p`],
    // Sessions start at 07:00-08:00 local + 5 h per session; plays a minute apart (+ jitter).
    [
      "ts_ms",
      `${start} + d * 86400000 + 25200000 + s * 18000000 + ${rand(`u, d, s, ${seed}, 2`, 3_600_000)} + p * 60000 + ${rand(key(3), 20_000)}`,
    ],
    ["candidate_count", "100"],
    ["position", "0"],
    ["policy_version", "'behaviour'"],
    [
      "exploration_group",
      `CASE WHEN u % 5 < 2 THEN 'random' WHEN u % 5 < 4 THEN 'action_noise' ELSE 'target' END`,
    ],
    ["noise_scale", "0.1"],
    ["duration_ms", `5000 + ${rand(key(4), 115_000)}`],
    ["play_time_ms", `${rand(key(5), 55_000)}`],
    ["outcome_click", "1"],
    ["outcome_long_view", `CASE WHEN ${rand(key(5), 55_000)} >= 18000 THEN 1 ELSE 0 END`],
    [
      "outcome_finish",
      `CASE WHEN ${rand(key(5), 55_000)} >= 5000 + ${rand(key(4), 115_000)} THEN 1 ELSE 0 END`,
    ],
    ["outcome_skip", `CASE WHEN ${rand(key(5), 55_000)} < 3000 THEN 1 ELSE 0 END`],
    ["outcome_like", `CASE WHEN ${rand(key(6), 100)} < 4 THEN 1 ELSE 0 END`],
    ["outcome_comment", `CASE WHEN ${rand(key(7), 100)} < 1 THEN 1 ELSE 0 END`],
    ["outcome_follow", `CASE WHEN ${rand(key(8), 200)} < 1 THEN 1 ELSE 0 END`],
    ["outcome_forward", `CASE WHEN ${rand(key(9), 200)} < 1 THEN 1 ELSE 0 END`],
    ["outcome_profile_enter", `CASE WHEN ${rand(key(10), 50)} < 1 THEN 1 ELSE 0 END`],
    ["outcome_hate", `CASE WHEN ${rand(key(11), 500)} < 1 THEN 1 ELSE 0 END`],
  ]);
  TASKS.forEach((task, i) => {
    const action = `((${rand(key(20 + i), 2001)} - 1000) / 1000.0)`;
    exprs.set(
      `score_${task}`,
      task === "play_time" ? `${rand(key(40 + i), 30_000)} / 1000.0` : `${rand(key(40 + i), 1000)} / 1000.0`,
    );
    exprs.set(`action_${task}`, action);
    exprs.set(`alpha_${task}`, `${low[i]} + 0.5 * (${action} + 1) * ${high[i] - low[i]}`);
  });
  const select = EVENT_COLUMNS.map(
    (c) => `CAST(${exprs.get(c.name) ?? "NULL"} AS ${c.type}) AS ${c.name}`,
  ).join(",\n  ");
  return `WITH ud AS (SELECT a.range AS u, b.range AS d FROM range(${users}) a, range(${DAYS}) b WHERE ${rand(`a.range, b.range, ${seed}`, 100)} < 70),
ses AS (SELECT u, d, c.range AS s FROM ud, range(3) c WHERE c.range < 1 + ${rand(`u, d, ${seed}, 1`, 2)} + ${rand(`u, d, ${seed}, 2`, 2)}),
plays AS (SELECT u, d, s, e.range AS p FROM ses, range(24) e WHERE e.range < 1 + ${rand(`u, d, s, ${seed}, 3`, 24)})
SELECT ${select} FROM plays`;
}

/**
 * Creates a log store (schema and user profiles through `LogStore`) and bulk-inserts the
 * synthetic events with DuckDB directly: the import path's row validation is not what this
 * benchmark measures, and it would take longer than the build itself.
 */
async function makeStore(
  dir: string,
  users: number,
  seed: number,
): Promise<{ store: LogStore; events: number }> {
  const file = path.join(dir, "store.duckdb");
  const setup = await LogStore.open(file);
  await setup.upsertUsers(
    Array.from({ length: users }, (_, u) => ({ userId: `u${u}`, profile: [u % 7, u % 365, u % 2] })),
    PROFILE_FEATURES,
  );
  setup.close();
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  await conn.run(`INSERT INTO events ${syntheticEventsSql(users, seed)}`);
  conn.closeSync();
  instance.closeSync();
  const store = await LogStore.open(file, { readOnly: true });
  return { store, events: (await store.counts()).events };
}

async function buildWorkload(ctx: BenchContext): Promise<readonly Measurement[]> {
  const target = ctx.quick ? 500_000 : 10_000_000;
  const users = Math.round(target / EVENTS_PER_USER);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-bench-data-"));
  try {
    ctx.log(`data-build: generating ~${target} events (${users} users x ${DAYS} days) into ${dir}`);
    const t0 = performance.now();
    const { store, events } = await makeStore(dir, users, 7);
    ctx.log(
      `data-build: ${events} events stored in ${((performance.now() - t0) / 1000).toFixed(1)} s (not timed)`,
    );
    try {
      let peakRss = process.memoryUsage().rss;
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 50);
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      const meta = await buildDataset(store, {
        outDir: path.join(dir, "dataset"),
        reward: { preset: "default", source: "fallback constants" },
        onProgress: (done) => {
          peakRss = Math.max(peakRss, process.memoryUsage().rss);
          if (done % 1_000_000 < 2048) ctx.log(`data-build: ${done} plays streamed`);
        },
      });
      const seconds = (performance.now() - start) / 1000;
      const cpu = process.cpuUsage(cpuStart);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      clearInterval(sampler);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const note =
        `${events} events → ${meta.counts.transitions} transitions, ${meta.counts.states} states (dim ${meta.stateDim}) ` +
        `in ${seconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU (all threads)`;
      ctx.log(`data-build: ${note}`);
      return [
        absolute("data-build", "events_per_s", events / seconds, "events/s", `target ≥ 500000; ${note}`),
        absolute(
          "data-build",
          "events_per_cpu_s",
          events / cpuSeconds,
          "events/CPU-s",
          "process CPU time of JS and DuckDB threads: less sensitive to other load on the machine",
        ),
        absolute(
          "data-build",
          "peak_rss",
          peakRss / 2 ** 30,
          "GiB",
          "target < 4 GiB; process RSS sampled every 50 ms during the build, DuckDB included",
        ),
      ];
    } finally {
      store.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A random transition table: n transitions over n + n/10 states of the encoder's size. */
function randomTable(n: number, profileDim: number, rng: Rng): TransitionTable {
  const dim = stateDim(profileDim);
  const nStates = n + Math.ceil(n / 10);
  const states = new Float32Array(nStates * dim);
  rng.fillUniform(states);
  const actions = new Float32Array(n * 12);
  rng.fillUniform(actions, -1, 1);
  const rewards = new Float32Array(n);
  rng.fillUniform(rewards);
  const stateIndex = Int32Array.from({ length: n }, (_, t) => t);
  const nextIndex = Int32Array.from({ length: n }, (_, t) => t + 1);
  const terminated = Uint8Array.from({ length: n }, (_, t) => (t % 12 === 11 ? 1 : 0));
  return {
    stateDim: dim,
    states,
    actions,
    rewards,
    stateIndex,
    nextIndex,
    terminated,
    truncated: new Uint8Array(n),
    first: Uint8Array.from({ length: n }, (_, t) => (t % 12 === 0 ? 1 : 0)),
  };
}

async function replayWorkload(ctx: BenchContext): Promise<readonly Measurement[]> {
  const n = 1_000_000;
  const table = randomTable(n, PROFILE_FEATURES.length, new Rng(1));
  const order = Int32Array.from({ length: n }, (_, t) => t);
  const draws = ctx.quick ? 2_000 : 20_000;
  const out: Measurement[] = [];
  for (const capacity of [100_000, "all"] as const) {
    const buffer = new ReplayBuffer(table, order, {
      capacity,
      batchSize: 256,
      steps: draws,
      rng: new Rng(2),
    });
    for (let i = 0; i < 200; i++) buffer.next(); // warm-up
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < draws; i++) buffer.next();
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const rows = (draws * 256) / seconds;
    const cpuRows = (draws * 256 * 1e6) / (cpu.user + cpu.system);
    ctx.log(
      `data-replay: capacity ${capacity}: ${Math.round(rows)} rows/s, ${Math.round(cpuRows)} rows/CPU-s`,
    );
    out.push(
      absolute(
        "data-replay",
        `rows_per_s_capacity_${capacity}`,
        rows,
        "rows/s",
        `target ≥ 1000000; M = 256, state dim ${table.stateDim}, 1 M transitions; ${Math.round(cpuRows)} rows per CPU-second`,
      ),
    );
  }
  return out;
}

async function appendWorkload(ctx: BenchContext): Promise<readonly Measurement[]> {
  const events = [...syntheticLog({ users: ctx.quick ? 80 : 400, days: 30, seed: 3 })].flat();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-bench-append-"));
  const store = await LogStore.open(path.join(dir, "store.duckdb"));
  try {
    const batch = 10_000;
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < events.length; i += batch) await store.appendEvents(events.slice(i, i + batch));
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    ctx.log(
      `data-append: ${events.length} events in ${seconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU`,
    );
    return [
      absolute(
        "data-append",
        "events_per_s",
        events.length / seconds,
        "events/s",
        `${events.length} events in batches of ${batch}; ${Math.round(events.length / cpuSeconds)} events per CPU-second`,
      ),
    ];
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const dataWorkloads: Workload[] = [
  {
    name: "data-build",
    description: "mtf build end to end on a synthetic 10 M-event log: events/s and peak RSS",
    run: buildWorkload,
  },
  {
    name: "data-replay",
    description: "replay-buffer mini-batch sampling (M = 256): rows/s, FIFO window and capacity all",
    run: replayWorkload,
  },
  {
    name: "data-append",
    description: "LogStore.appendEvents of a synthetic log in batches of 10,000: events/s",
    run: appendWorkload,
  },
];
