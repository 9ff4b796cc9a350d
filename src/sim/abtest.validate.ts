/**
 * Statistical validation of the A/B harness (`npm run validate`). Effects are placed in the user
 * model (users of the treatment arm watch e^shift times longer after a click), not in the metric;
 * the true ADTime change of a shift is measured by a large paired run.
 *
 * - A/A: 50 seeds, unpaired, 2,000 users: significant at p < 0.05 in at most 10% of seeds.
 * - 5% ADTime effect, unpaired, 40,000 users (about 20,000 per arm), 1 day: detected (p < 0.05,
 *   right sign) in at least 16 of 20 seeds. Per-user ADTime over a day has a coefficient of
 *   variation of about 1.5 (heavy-tailed: skewness 4), so the standard error of the log ratio is
 *   1.5·√(2/20,000) ≈ 0.015 and a 5% change is ≈ 3.3 standard errors: power ≈ 90%.
 * - 1% ADTime effect, paired, 600 users cloned into both arms, 1 day: detected in at least 16 of
 *   20 seeds (common random numbers make the per-user differences small).
 * Interval coverage of the true change is reported for each.
 *
 * The runs use the default model with C = 50 candidates per request instead of 200 (what is
 * validated — randomisation, pairing, inference — does not depend on C; it is ~3x faster) and run
 * the seeds in parallel child processes (one per core, at most 8).
 */
import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { availableParallelism } from "node:os";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { behaviourPolicy } from "../agents/behaviour.js";
import { type AbArm, runAbTest } from "./abtest.js";
import { simPreset } from "./config.js";
import { SIM_STATE_DIM } from "./engine.js";
import { createWorld, type SimWorld } from "./world.js";

interface Job {
  readonly shift: number;
  readonly users: number;
  readonly seed: number;
  readonly paired: boolean;
}

interface JobResult {
  readonly relativeChange: number;
  readonly low: number;
  readonly high: number;
  readonly pValue: number;
  readonly configHash: string;
}

const WORKER_FLAG = "MTF_SIM_VALIDATE_WORKER";

/** The validation world, built once per process. */
const world = (() => {
  let built: SimWorld | null = null;
  return () => {
    built ??= createWorld(simPreset("default", { retrieval: { candidates: 50 } }), 7);
    return built;
  };
})();

function runJob(job: Job): JobResult {
  const behaviour = behaviourPolicy(SIM_STATE_DIM);
  const arms: AbArm[] = [
    { name: "control", policy: behaviour },
    { name: "treatment", policy: behaviour, effect: { attentionLogShift: job.shift } },
  ];
  const result = runAbTest(world(), arms, { users: job.users, days: 1, seed: job.seed, paired: job.paired });
  const c = result.comparisons[0].adTime;
  if (c === null) throw new Error("no ADTime comparison");
  return {
    relativeChange: c.relativeChange,
    low: c.low,
    high: c.high,
    pValue: c.pValue,
    configHash: result.configHash,
  };
}

/** Runs the jobs on a pool of child processes, results in job order. */
async function runAll(jobs: readonly Job[]): Promise<JobResult[]> {
  const size = Math.max(1, Math.min(availableParallelism(), 8, jobs.length));
  const results: JobResult[] = new Array(jobs.length);
  let next = 0;
  const file = fileURLToPath(import.meta.url);
  await Promise.all(
    Array.from(
      { length: size },
      () =>
        new Promise<void>((resolve, reject) => {
          const child = fork(file, [], {
            execArgv: ["--import", "tsx"],
            env: { ...process.env, [WORKER_FLAG]: "1" },
          });
          let current = -1;
          const dispatch = () => {
            if (next >= jobs.length) {
              child.kill();
              resolve();
              return;
            }
            current = next++;
            child.send(jobs[current]);
          };
          child.on("message", (message) => {
            results[current] = message as JobResult;
            dispatch();
          });
          child.on("error", reject);
          child.on("exit", (code) => {
            if (next < jobs.length || (code !== 0 && code !== null))
              reject(new Error(`worker exited with ${code}`));
          });
          dispatch();
        }),
    ),
  );
  return results;
}

interface Summary {
  readonly significant: number;
  readonly covered: number;
  readonly seeds: number;
}

function summarise(results: readonly JobResult[], truth: number): Summary {
  let significant = 0;
  let covered = 0;
  for (const c of results) {
    if (c.pValue < 0.05 && (truth === 0 || Math.sign(c.relativeChange) === Math.sign(truth)))
      significant += 1;
    if (c.low <= truth && truth <= c.high) covered += 1;
  }
  return { significant, covered, seeds: results.length };
}

function report(name: string, s: Summary, truth: number, configHash: string): void {
  process.stdout.write(
    `# ${name}: significant in ${s.significant}/${s.seeds} seeds, 95% interval covered the true change ` +
      `(${(100 * truth).toFixed(2)}%) in ${s.covered}/${s.seeds} (config ${configHash})\n`,
  );
}

/** The shift whose true ADTime change is `target`, from large paired runs (close to linear). */
async function shiftFor(target: number): Promise<{ readonly shift: number; readonly truth: number }> {
  const probe = 0.08;
  const [probed] = await runAll([{ shift: probe, users: 6000, seed: 999, paired: true }]);
  const shift = (target / probed.relativeChange) * probe;
  const [truth] = await runAll([{ shift, users: 6000, seed: 999, paired: true }]);
  return { shift, truth: truth.relativeChange };
}

const seeds = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

if (process.env[WORKER_FLAG] === "1") {
  process.on("message", (job) => process.send?.(runJob(job as Job)));
} else {
  describe("A/B harness validation", () => {
    it("A/A: false positives in at most 10% of 50 seeds", async () => {
      const results = await runAll(seeds(50).map((seed) => ({ shift: 0, users: 2000, seed, paired: false })));
      const s = summarise(results, 0);
      report("A/A unpaired, 2,000 users", s, 0, results[0].configHash);
      assert.ok(s.significant <= 5, `${s.significant} of 50 A/A tests significant`);
    });

    it("detects a 5% ADTime effect unpaired in at least 16 of 20 seeds (40,000 users)", async () => {
      const { shift, truth } = await shiftFor(0.05);
      const results = await runAll(seeds(20).map((seed) => ({ shift, users: 40_000, seed, paired: false })));
      const s = summarise(results, truth);
      report(`5% effect unpaired (shift ${shift.toFixed(4)}), 40,000 users`, s, truth, results[0].configHash);
      assert.ok(Math.abs(truth - 0.05) < 0.005, `true change ${truth}`);
      assert.ok(s.significant >= 16, `detected in ${s.significant} of 20`);
    });

    it("detects a 1% ADTime effect paired in at least 16 of 20 seeds (600 users)", async () => {
      const { shift, truth } = await shiftFor(0.01);
      const results = await runAll(seeds(20).map((seed) => ({ shift, users: 600, seed, paired: true })));
      const s = summarise(results, truth);
      report(`1% effect paired (shift ${shift.toFixed(4)}), 600 users`, s, truth, results[0].configHash);
      assert.ok(Math.abs(truth - 0.01) < 0.002, `true change ${truth}`);
      assert.ok(s.significant >= 16, `detected in ${s.significant} of 20`);
    });
  });
}
