/**
 * CI size of the end-to-end check (bcq-learns.ts): Mixed Multi-Exploration logs from the
 * simulator → dataset → BCQ (quick preset) → serving artefact → Monte-Carlo rollouts. The
 * trained policy must beat the behaviour policy's true discounted session return, paired over
 * the same session starts with common random numbers, by more than two standard errors.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runBcqLearns, SMALL_BCQ_LEARNS } from "./bcq-learns.js";

const workDir = mkdtempSync(join(tmpdir(), "mtf-bcq-learns-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

describe("BCQ trained on simulator logs", () => {
  it("beats the behaviour policy's true discounted session return", async (t) => {
    const report = await runBcqLearns({ ...SMALL_BCQ_LEARNS, workDir, log: (m) => t.diagnostic(m) });
    const { behaviour, bcq, difference } = report;
    t.diagnostic(
      `${report.trainTransitions} train transitions, ${report.bcqSteps} steps in ${report.trainSeconds.toFixed(1)} s; ` +
        `${report.starts} session starts: behaviour ${behaviour.value.toFixed(4)}, BCQ ${bcq.value.toFixed(4)}, ` +
        `paired difference ${difference.mean.toFixed(4)} ± ${difference.stdError.toFixed(4)}`,
    );
    assert.ok(Number.isFinite(report.finalMetrics["q/mean"]), "training stayed finite");
    assert.ok(
      difference.mean > 2 * difference.stdError,
      `BCQ ${bcq.value} should beat behaviour ${behaviour.value} (difference ${difference.mean} ± ${difference.stdError})`,
    );
  });
});
