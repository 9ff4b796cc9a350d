/**
 * UWAC+TD3 on the shared narrow-data fixture (issue 7): after training, the uncertainty weights
 * clamp(β / (Var Q'_1 + Var Q'_2)) that scale the TD errors are lower for out-of-support actions
 * than for in-support ones: MC dropout sees the critics' extrapolation as variance. CI size: the
 * quick preset (K = 10 MC passes), 1,000 steps.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deriveSeed, Rng } from "../../core/rng.js";
import {
  ArrayBatchSource,
  fitStateNormaliser,
  generateNarrowData,
  inSupport,
  narrowDataMdp,
} from "../fixtures/narrow-data.js";
import { uwacTd3Config } from "./config.js";
import { UwacTd3Trainer } from "./trainer.js";

const mean = (x: ArrayLike<number>) => Array.from(x).reduce((a, b) => a + b, 0) / x.length;

describe("UWAC+TD3 on the narrow-data fixture", () => {
  it("gives out-of-support actions lower weights than in-support ones", (t) => {
    const mdp = narrowDataMdp();
    const data = generateNarrowData(mdp, { sessions: 1500, seed: 11 });
    const config = uwacTd3Config({ preset: "quick", gamma: mdp.gamma, steps: 1000 });
    const source = new ArrayBatchSource(data, config.batchSize, new Rng(deriveSeed(0, "source")));
    const trainer = new UwacTd3Trainer({ config, source, normaliser: fitStateNormaliser(data), seed: 0 });
    for (let i = 0; i < config.steps; i++) trainer.update();

    // Logged transitions (in support by construction) against the same states with uniformly
    // random actions that fall outside the support box.
    const A = mdp.actionDim;
    const rows = 400;
    const rng = new Rng(21);
    const states = new Float32Array(rows * 2);
    const logged = new Float32Array(rows * A);
    const outside = new Float32Array(rows * A);
    for (let r = 0; r < rows; r++) {
      const i = rng.int(data.size);
      states.set(data.states.subarray(2 * i, 2 * i + 2), 2 * r);
      logged.set(data.actions.subarray(A * i, A * i + A), A * r);
      do {
        for (let j = 0; j < A; j++) outside[A * r + j] = rng.uniformIn(-1, 1);
      } while (inSupport(mdp, states[2 * r], outside, A * r));
    }
    const wIn = new Float32Array(rows);
    const wOut = new Float32Array(rows);
    const varIn = new Float32Array(rows);
    const varOut = new Float32Array(rows);
    const masks = new Rng(22);
    trainer.weightsAt(states, logged, rows, masks, wIn, { variance: varIn });
    trainer.weightsAt(states, outside, rows, masks, wOut, { variance: varOut });
    t.diagnostic(
      `in support: mean Var ${mean(varIn).toFixed(4)}, mean weight ${mean(wIn).toFixed(3)}; out of support: mean Var ${mean(varOut).toFixed(4)}, mean weight ${mean(wOut).toFixed(3)} (β ${config.beta}, clip [${config.clipBottom}, ${config.clipTop}])`,
    );
    assert.ok(mean(varOut) > mean(varIn), "MC dropout is more uncertain outside the support");
    assert.ok(mean(wOut) < mean(wIn), `weights out ${mean(wOut)} should be below weights in ${mean(wIn)}`);
  });
});
