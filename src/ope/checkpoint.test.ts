import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { type ErrorCode, isMtfError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { loadConservativeOpe, saveConservativeOpe } from "./checkpoint.js";
import { opeConfigSection } from "./config.js";
import { ConservativeOpe } from "./estimator.js";
import {
  EXAMPLE_BEHAVIOUR,
  EXAMPLE_GREEDY,
  EXAMPLE_MDP,
  sampleTabularDataset,
  tabularDecisions,
} from "./fixtures/tabular-mdp.js";

const dir = await mkdtemp(join(tmpdir(), "mtf-ope-checkpoint-"));
after(() => rm(dir, { recursive: true, force: true }));

const dataset = sampleTabularDataset(EXAMPLE_MDP, EXAMPLE_BEHAVIOUR, 60, 30, 0.8, new Rng(3));
const decisions = tabularDecisions(dataset, EXAMPLE_BEHAVIOUR, EXAMPLE_MDP.actions);
const options = {
  ...opeConfigSection.parse({
    alpha: 0.1,
    lr: 1e-3,
    batchSize: 32,
    iterations: 60,
    hiddenSizes: [8],
    targetUpdateInterval: 7,
  }),
  gamma: 0.8,
};

function fresh(): ConservativeOpe {
  return new ConservativeOpe({ data: dataset.data, decisions, options }, new Rng(11));
}

function rejectsWith(code: ErrorCode) {
  return (error: unknown): boolean => {
    assert.ok(isMtfError(error, code), `expected ${code}, got ${String(error)}`);
    return true;
  };
}

test("a saved fit reloads with identical values, and a resumed fit equals the uninterrupted one", async () => {
  const straight = fresh();
  straight.fit();

  const interrupted = fresh();
  for (let k = 0; k < 25; k++) interrupted.step();
  const path = join(dir, "half.ckpt");
  await saveConservativeOpe(path, interrupted, { policy: "behaviour" });
  const { estimator: reloaded, metadata } = await loadConservativeOpe(path, dataset.data, decisions);
  assert.equal(metadata.policy, "behaviour");
  assert.equal(reloaded.iteration, 25);
  assert.deepEqual(reloaded.options, options);
  const rows = dataset.data.initialStateIndex;
  assert.deepEqual(reloaded.policyValues(rows), interrupted.policyValues(rows));

  reloaded.fit();
  assert.equal(reloaded.iteration, options.iterations);
  assert.deepEqual(reloaded.q.params, straight.q.params);
  assert.deepEqual(reloaded.frozen.params, straight.frozen.params);
  assert.deepEqual(reloaded.policyValues(rows), straight.policyValues(rows));
});

test("loading refuses other data, other decisions and damaged files with coded errors", async () => {
  const estimator = fresh();
  estimator.step();
  const path = join(dir, "one.ckpt");
  await saveConservativeOpe(path, estimator);

  const other = sampleTabularDataset(EXAMPLE_MDP, EXAMPLE_BEHAVIOUR, 60, 30, 0.8, new Rng(4));
  const otherDecisions = tabularDecisions(other, EXAMPLE_BEHAVIOUR, EXAMPLE_MDP.actions);
  await assert.rejects(
    loadConservativeOpe(path, other.data, otherDecisions),
    rejectsWith("DATASET_MISMATCH"),
  );
  const greedy = tabularDecisions(dataset, EXAMPLE_GREEDY, EXAMPLE_MDP.actions);
  await assert.rejects(loadConservativeOpe(path, dataset.data, greedy), rejectsWith("DATASET_MISMATCH"));

  const bytes = await readFile(path);
  bytes[bytes.length - 100] ^= 0xff;
  const damaged = join(dir, "damaged.ckpt");
  await writeFile(damaged, bytes);
  await assert.rejects(
    loadConservativeOpe(damaged, dataset.data, decisions),
    rejectsWith("CHECKPOINT_CORRUPT"),
  );
  await assert.rejects(
    loadConservativeOpe(join(dir, "missing.ckpt"), dataset.data, decisions),
    rejectsWith("FILE_NOT_FOUND"),
  );
});
