/**
 * The OPE-vs-truth validation, small (CI): the mechanics end to end — simulate, build, match
 * every test-split session start to its simulator snapshot, agree on the logged returns, roll
 * out eleven policies, fit FQE and Conservative-OPE — not the estimator's accuracy, which needs
 * the full run (`npm run validate`, ope-validation.validate.ts; docs/ope.md).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import type { Policy } from "../core/interfaces.js";
import {
  pickNearTied,
  type RankedTruth,
  runOpeValidation,
  SMALL_VALIDATION,
  validationTable,
} from "./ope-validation.js";

const workDir = mkdtempSync(path.join(tmpdir(), "mtf-ope-validation-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

test("the small OPE validation runs end to end with consistent data, truth and estimates", async () => {
  const report = await runOpeValidation({ ...SMALL_VALIDATION, workDir });
  assert.ok(report.testSessions >= 30, `${report.testSessions} test sessions`);
  assert.ok(
    report.loggedReturnError < 1e-4,
    `data and simulator disagree on logged returns: ${report.loggedReturnError}`,
  );
  const roles = report.policies.map((p) => p.role);
  for (const role of ["logging", "behaviour", "random", "good", "bcq", "bcq large ρ", "bad", "near-tied"]) {
    assert.ok(roles.includes(role), `no ${role} policy`);
  }
  assert.equal(report.policies.length, 11);
  assert.equal(roles.filter((r) => r === "near-tied").length, 3);
  assert.ok(
    report.nearTiedSpread < 0.1,
    `near-tied truths ${(100 * report.nearTiedSpread).toFixed(1)}% apart`,
  );
  assert.deepEqual(
    report.summaries.map((s) => s.alpha),
    SMALL_VALIDATION.alphas,
  );
  for (const p of report.policies) {
    assert.deepEqual(
      p.estimates.map((e) => e.alpha),
      SMALL_VALIDATION.alphas,
    );
    for (const value of [
      p.trueValue,
      p.trueStdError,
      p.distanceFromLogged,
      ...p.estimates.map((e) => e.value),
    ]) {
      assert.ok(Number.isFinite(value), `${p.id}: ${JSON.stringify(p)}`);
    }
    for (const e of p.estimates) assert.ok(e.interval[0] <= e.value && e.value <= e.interval[1]);
  }
  // The click-bait α is the worst policy by the truth: the simulator punishes it.
  const worst = [...report.policies].sort((a, b) => a.trueValue - b.trueValue)[0];
  assert.equal(worst.role, "bad");
  // Every action the fixed behaviour policy plays is the centre the logged actions scatter
  // around; the uniform-random policy lies further from them than behaviour does.
  const distance = (role: string) => report.policies.find((p) => p.role === role)?.distanceFromLogged ?? 0;
  assert.ok(distance("random") > distance("behaviour"));
  for (const summary of report.summaries) {
    assert.ok(summary.spearman >= -1 && summary.spearman <= 1 && Number.isFinite(summary.meanRelativeError));
  }
  const table = validationTable(report);
  assert.match(table, /\| fixed-click-bait \| bad \|/);
  assert.match(table, /\| logging-mixture \| logging \|/);
  assert.match(table, /\| FQE \(α = 0\) \| -?\d\.\d{3} \|/);
});

/** A ladder entry whose per-session truths are `base` shifted by `shift` plus a wobble of size `noise`. */
function rung(id: string, shift: number, noise: number): RankedTruth {
  const perSession = Float64Array.from(
    { length: 40 },
    (_, s) => 5 + (s % 7) + shift + noise * ((s % 2) * 2 - 1),
  );
  const value = perSession.reduce((a, v) => a + v, 0) / perSession.length;
  const policy = { id, stateDim: 1, stochastic: false, act: () => {} } as Policy;
  return { policy, truth: { value, stdError: 0.1, perSession } };
}

test("the near-tied group: within 10%, the triple the truth separates best", () => {
  // values ≈ 8 + shift; a, b, c, d lie within 10%; e is 20% above. b−c and c−d are separated by
  // noiseless shifts; a sits on top of b with a wobble, so triples with a and b are poorly separated.
  const ladder = [
    rung("a", 0.31, 0.5),
    rung("b", 0.3, 0),
    rung("c", 0.1, 0),
    rung("d", -0.1, 0),
    rung("e", 1.9, 0),
  ];
  assert.deepEqual(
    pickNearTied(ladder).map((g) => g.policy.id),
    ["b", "c", "d"],
  );
  // No triple within 10%: the closest triple.
  const spreadOut = [rung("p", 0, 0), rung("q", 1, 0), rung("r", 2, 0), rung("s", 6, 0)];
  assert.deepEqual(
    pickNearTied(spreadOut).map((g) => g.policy.id),
    ["p", "q", "r"],
  );
});
