/**
 * The OPE-vs-truth validation, small (CI): the mechanics end to end — simulate, build, match
 * every test-split session start to its simulator snapshot, agree on the logged returns, roll
 * out ten policies, fit FQE and Conservative-OPE — not the estimator's accuracy, which needs
 * the full run (`npm run validate`, ope-validation.validate.ts; docs/ope.md).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { runOpeValidation, SMALL_VALIDATION, validationTable } from "./ope-validation.js";

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
  for (const role of ["behaviour", "random", "good", "bcq", "bcq large ρ", "bad", "near-tied"]) {
    assert.ok(roles.includes(role), `no ${role} policy`);
  }
  assert.equal(report.policies.length, 10);
  assert.equal(roles.filter((r) => r === "near-tied").length, 3);
  assert.ok(
    report.nearTiedSpread < 0.1,
    `near-tied truths ${(100 * report.nearTiedSpread).toFixed(1)}% apart`,
  );
  for (const p of report.policies) {
    for (const value of [p.trueValue, p.trueStdError, p.fqe, p.conservative, p.largeAlpha]) {
      assert.ok(Number.isFinite(value), `${p.id}: ${JSON.stringify(p)}`);
    }
    assert.ok(p.conservativeInterval[0] <= p.conservative && p.conservative <= p.conservativeInterval[1]);
  }
  // The click-bait α is the worst policy by the truth: the simulator punishes it.
  const worst = [...report.policies].sort((a, b) => a.trueValue - b.trueValue)[0];
  assert.equal(worst.role, "bad");
  for (const summary of [report.fqe, report.conservative, report.largeAlpha]) {
    assert.ok(summary.spearman >= -1 && summary.spearman <= 1 && Number.isFinite(summary.meanRelativeError));
  }
  const table = validationTable(report);
  assert.match(table, /\| fixed-click-bait \| bad \|/);
  assert.match(table, /\| FQE \(α = 0\) \| -?\d\.\d{3} \|/);
});
