/**
 * The actor gradient of step 5 (TD3's deterministic policy gradient, and UWAC's weighted
 * average over K MC-dropout passes) against central finite differences in float64, with the
 * dropout masks and the weights held fixed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rng } from "../../core/rng.js";
import { gradCheck } from "../../nn/gradcheck.js";
import { referenceKernels } from "../../nn/reference-kernels.js";
import { td3Config } from "./config.js";
import { createTd3Networks } from "./networks.js";
import { actorLossAndGrads, createTd3Workspace } from "./trainer.js";

const dims = { stateDim: 3, actionDim: 2 };
const M = 4;

for (const [label, dropout, samples, weighted] of [
  ["TD3: one unmasked pass, no weights", 0, null, false],
  ["UWAC: 5 MC-dropout passes, per-state weights", 0.25, 5, true],
] as const) {
  describe(`actorLossAndGrads (${label})`, () => {
    it("matches finite differences w.r.t. the actor's parameters", () => {
      const config = td3Config({ preset: "quick", actorHidden: [6, 5], criticHidden: [7, 6], batchSize: M });
      const nets = createTd3Networks(config, dims, new Rng(3), {
        kernels: referenceKernels,
        dtype: "float64",
        criticDropout: dropout,
      });
      const ws = createTd3Workspace("float64", dims, M, samples ?? 1);
      new Rng(4).fillUniform(ws.states.subarray(0, M * dims.stateDim) as Float64Array, -1, 1);
      const weights = Float64Array.of(1, 0.5, 0.2, 0.9);
      const weightsFor = () => (weighted ? weights : null);
      const maskState = new Rng(5).getState();
      const rng = new Rng(0);
      const loss = (): number => {
        rng.setState(maskState);
        return actorLossAndGrads(nets, ws, dims, M, samples, rng, weightsFor);
      };
      loss();
      const analytic = nets.actor.grads.slice();
      assert.ok(analytic.some((g) => g !== 0));
      const check = gradCheck(loss, nets.actor.params as Float64Array, analytic);
      assert.ok(check.maxRelativeError < 1e-4, JSON.stringify(check));
    });
  });
}
