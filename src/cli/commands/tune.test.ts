import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Command } from "commander";
import { loadBoPolicy } from "../../agents/bo/artefact.js";
import { FakeEnvironment } from "../../agents/bo/fake-environment.js";
import { loadEsPolicy } from "../../agents/es/artefact.js";
import { ACTION_DIM } from "../../core/interfaces.js";
import { readJsonlMetrics } from "../../core/metrics-logger.js";
import { SIM_STATE_DIM } from "../../sim/engine.js";
import { register, TUNE_OUTPUTS, type TuneWorldFactory } from "./tune.js";

const dir = mkdtempSync(join(tmpdir(), "mtf-tune-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const fakeWorld: TuneWorldFactory = () => ({
  environment: new FakeEnvironment({
    stateDim: 3,
    appTimeS: (_state, action) => 600 - 100 * action.reduce((a, v) => a + v * v, 0),
    noiseStdS: 20,
  }),
  stateDim: 3,
  name: "fake",
  worldHash: null,
});

async function mtf(args: readonly string[], createWorld?: TuneWorldFactory): Promise<void> {
  const program = new Command("mtf").exitOverride();
  register(program, createWorld ? { createWorld } : {});
  await program.parseAsync(["node", "mtf", ...args]);
}

const quickBo = join(dir, "quick-bo.yaml");
writeFileSync(
  quickBo,
  "bo:\n  batchSize: 4\n  initialPoints: 4\n  acquisitionCandidates: 128\n  acquisitionLocalCandidates: 32\n",
);

test("mtf tune bo: writes config, run info, metrics, checkpoint and a loadable policy; --resume extends the budget", async () => {
  const out = join(dir, "bo");
  const base = [
    "tune",
    "bo",
    "--out",
    out,
    "--config",
    quickBo,
    "--users-per-candidate",
    "10",
    "--seed",
    "3",
  ];
  await mtf([...base, "--budget-user-days", "80"], fakeWorld);
  for (const name of Object.values(TUNE_OUTPUTS)) assert.ok(existsSync(join(out, name)), name);
  const run = JSON.parse(readFileSync(join(out, TUNE_OUTPUTS.run), "utf8"));
  assert.equal(run.status, "completed");
  assert.equal(run.userDaysUsed, 80);
  assert.match(run.runId, /^fake__bo__3__/);
  assert.equal(readJsonlMetrics(join(out, TUNE_OUTPUTS.metrics)).length, 2);
  assert.match(readFileSync(join(out, TUNE_OUTPUTS.config), "utf8"), /usersPerCandidate: 10/);
  assert.equal((await loadBoPolicy(join(out, TUNE_OUTPUTS.policy))).artefact.evaluations, 8);

  await assert.rejects(mtf([...base, "--budget-user-days", "80"], fakeWorld), { code: "INVALID_ARGUMENT" });
  await mtf([...base, "--budget-user-days", "120", "--resume"], fakeWorld);
  const resumed = JSON.parse(readFileSync(join(out, TUNE_OUTPUTS.run), "utf8"));
  assert.equal(resumed.userDaysUsed, 120);
  assert.deepEqual(
    resumed.events.map((e: { event: string }) => e.event),
    ["started", "resumed"],
  );
  assert.deepEqual(
    readJsonlMetrics(join(out, TUNE_OUTPUTS.metrics)).map((r) => r.step),
    [1, 2, 3],
  );
  await assert.rejects(mtf([...base, "--budget-user-days", "120", "--resume", "--seed", "4"], fakeWorld), {
    code: "INVALID_CONFIG",
  });
});

test("mtf tune es runs in the simulator (small preset, one generation) and exports an es-policy", async () => {
  const config = join(dir, "tiny-es.yaml");
  writeFileSync(config, "sim:\n  preset: small\nes:\n  pairs: 1\n  hidden: [4]\n");
  const out = join(dir, "es");
  await mtf([
    "tune",
    "es",
    "--out",
    out,
    "--config",
    config,
    "--users-per-candidate",
    "2",
    "--budget-user-days",
    "4",
  ]);
  const { policy, artefact } = await loadEsPolicy(join(out, TUNE_OUTPUTS.policy));
  assert.equal(artefact.generations, 1);
  assert.equal(artefact.userDaysUsed, 4);
  assert.equal(policy.stateDim, SIM_STATE_DIM);
  const records = readJsonlMetrics(join(out, TUNE_OUTPUTS.metrics));
  assert.equal(records.length, 1);
  assert.ok(records[0].metrics["adtime/mean"] > 0);
  assert.ok(records[0].metrics["normaliser/states"] > 0);
  assert.equal(policy.network.outDim, ACTION_DIM);
});
