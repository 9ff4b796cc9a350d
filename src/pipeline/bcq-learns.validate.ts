/**
 * `npm run validate`: the end-to-end check of bcq-learns.ts at a larger scale (2,000 logged
 * users over 7 days, 6,000 BCQ steps at M = 256, 2,000 session starts x 4 rollouts per policy).
 * BCQ must beat the behaviour policy's true discounted session return by more than three
 * standard errors of the paired difference. Well within 30 minutes on the native backend.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { FULL_BCQ_LEARNS, runBcqLearns } from "./bcq-learns.js";

const workDir = mkdtempSync(join(tmpdir(), "mtf-bcq-learns-full-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

describe("BCQ trained on simulator logs (validation scale)", () => {
  it("beats the behaviour policy's true discounted session return", async (t) => {
    const report = await runBcqLearns({ ...FULL_BCQ_LEARNS, workDir, log: (m) => t.diagnostic(m) });
    const { behaviour, bcq, difference } = report;
    t.diagnostic(
      `behaviour ${behaviour.value.toFixed(4)} ± ${behaviour.stdError.toFixed(4)}, BCQ ${bcq.value.toFixed(4)} ± ${bcq.stdError.toFixed(4)}, ` +
        `paired difference ${difference.mean.toFixed(4)} ± ${difference.stdError.toFixed(4)} ` +
        `(${((100 * difference.mean) / behaviour.value).toFixed(1)}%) over ${report.starts} starts`,
    );
    t.diagnostic(`final metrics: ${JSON.stringify(report.finalMetrics)}`);
    assert.ok(
      difference.mean > 3 * difference.stdError,
      `difference ${difference.mean} ± ${difference.stdError}`,
    );
  });
});
