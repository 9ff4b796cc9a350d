import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { extendConfig, parseConfig } from "../../core/config.js";
import { isMtfError } from "../../core/errors.js";
import { bcqConfig, bcqConfigFromSection, bcqConfigSection, bcqDims, policySamples } from "./config.js";

describe("BCQ config", () => {
  it("defaults to the paper's values (Sec. 4.2) and the original BCQ's network sizes", () => {
    const c = bcqConfig();
    assert.equal(c.gamma, 0.95);
    assert.deepEqual([c.lrVae, c.lrActor, c.lrCritic], [1e-3, 1e-4, 2e-4]);
    assert.deepEqual([c.rho, c.eta, c.targetUpdateEvery], [0.15, 0.05, 10]);
    assert.deepEqual([c.replayCapacity, c.batchSize, c.steps, c.nActionSamples], [100_000, 256, 300_000, 10]);
    assert.deepEqual([c.lambda, c.klWeight, c.latentClip, c.updateOrder], [1, 0.5, 0.5, "paper"]);
    assert.deepEqual(
      [c.vaeHidden, c.actorHidden, c.criticHidden],
      [
        [750, 750],
        [400, 300],
        [400, 300],
      ],
    );
    assert.deepEqual(bcqDims(c, 128, 12), { stateDim: 128, actionDim: 12, latentDim: 24 });
    assert.equal(policySamples(c), 10);
  });

  it("quick preset: small networks, explicit keys override it", () => {
    const c = bcqConfig({ preset: "quick", batchSize: 32 });
    assert.deepEqual(c.vaeHidden, [64, 64]);
    assert.equal(c.batchSize, 32);
    assert.equal(c.rho, 0.15, "the algorithm's constants stay the paper's");
  });

  it("rejects unknown keys and bad values with coded errors", () => {
    assert.throws(
      () => bcqConfig({ rhoo: 0.1 }),
      (e) => isMtfError(e, "UNKNOWN_CONFIG_KEY"),
    );
    assert.throws(
      () => bcqConfig({ lambda: 2 }),
      (e) => isMtfError(e, "INVALID_CONFIG") && /lambda/.test(e.message),
    );
    assert.throws(
      () => bcqConfig({ updateOrder: "random" }),
      (e) => isMtfError(e, "INVALID_CONFIG"),
    );
  });

  it("as a config-file section, takes γ from the root unless it sets its own", () => {
    const schema = extendConfig({ bcq: bcqConfigSection });
    const file = parseConfig({ gamma: 0.9, bcq: { preset: "quick" } }, schema, "test.yaml");
    assert.equal(bcqConfigFromSection(file.bcq, file.gamma).gamma, 0.9);
    const own = parseConfig({ gamma: 0.9, bcq: { gamma: 0.8 } }, schema, "test.yaml");
    assert.equal(bcqConfigFromSection(own.bcq, own.gamma).gamma, 0.8);
    assert.throws(
      () => parseConfig({ bcq: { lrVea: 1 } }, schema, "test.yaml"),
      (e) => isMtfError(e, "UNKNOWN_CONFIG_KEY") && /did you mean "lrVae"/.test(e.message),
    );
  });
});
