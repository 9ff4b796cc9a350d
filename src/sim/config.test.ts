import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { z } from "zod";
import { isMtfError } from "../core/errors.js";
import {
  PRESET_SIZES,
  parseSimConfig,
  SIM_PRESETS,
  simConfigHash,
  simConfigSchema,
  simPreset,
} from "./config.js";

/** Every leaf of a zod object schema with its dotted path. */
function leaves(schema: z.core.$ZodType, path: string, out: [string, z.core.$ZodType][]): void {
  let current = schema;
  for (;;) {
    const def = current._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
    if ("innerType" in def) current = def.innerType as z.core.$ZodType;
    else break;
  }
  const def = current._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  if (def.type === "object") {
    for (const [key, child] of Object.entries(def.shape as Record<string, z.core.$ZodType>)) {
      leaves(child, path === "" ? key : `${path}.${key}`, out);
    }
    return;
  }
  out.push([path, schema]);
}

describe("sim config", () => {
  it("presets differ only in population and catalogue size", () => {
    const configs = SIM_PRESETS.map((p) => simPreset(p));
    for (const [i, preset] of SIM_PRESETS.entries()) {
      assert.equal(configs[i].users, PRESET_SIZES[preset].users);
      assert.equal(configs[i].videos, PRESET_SIZES[preset].videos);
      const { preset: _p, users: _u, videos: _v, ...model } = configs[i];
      const { preset: _p0, users: _u0, videos: _v0, ...model0 } = configs[0];
      assert.deepEqual(model, model0);
    }
  });

  it("documents every parameter with its source", () => {
    const all: [string, z.core.$ZodType][] = [];
    leaves(simConfigSchema, "", all);
    assert.ok(all.length > 80, `expected many parameters, found ${all.length}`);
    for (const [path, schema] of all) {
      const doc = (schema as unknown as { description?: string }).description;
      assert.ok(doc !== undefined && doc.length > 10, `${path} has no description`);
    }
  });

  it("lists every parameter in docs/simulator.md (per-task maps as one row)", () => {
    const docs = readFileSync(new URL("../../docs/simulator.md", import.meta.url), "utf8");
    const all: [string, z.core.$ZodType][] = [];
    leaves(simConfigSchema, "", all);
    for (const [path] of all) {
      const parent = path.slice(0, path.lastIndexOf("."));
      const perTask = parent.endsWith(".noiseSd") || parent.endsWith(".bias");
      assert.ok(
        docs.includes(`\`sim.${perTask ? parent : path}\``),
        `docs/simulator.md does not list sim.${path}`,
      );
    }
  });

  it("fails fast naming the bad field", () => {
    assert.throws(
      () => parseSimConfig({ response: { clickIntercept: "high" } }),
      (e) => isMtfError(e, "INVALID_CONFIG") && e.message.includes("response.clickIntercept"),
    );
    assert.throws(
      () => parseSimConfig({ retrieval: { candidate: 10 } }),
      (e) => isMtfError(e, "UNKNOWN_CONFIG_KEY") && e.message.includes("retrieval.candidate"),
    );
    assert.throws(
      () => parseSimConfig({ catalogue: { clickbaitShare: 2 } }),
      (e) => isMtfError(e, "INVALID_CONFIG") && e.message.includes("catalogue.clickbaitShare"),
    );
  });

  it("hashes the resolved config and seed", () => {
    const a = simPreset("small");
    assert.equal(simConfigHash(a, 1), simConfigHash(simPreset("small"), 1));
    assert.notEqual(simConfigHash(a, 1), simConfigHash(a, 2));
    assert.notEqual(
      simConfigHash(a, 1),
      simConfigHash(simPreset("small", { retrieval: { candidates: 50 } }), 1),
    );
  });

  it("takes sizes from the preset unless given", () => {
    const c = parseSimConfig({ preset: "large", users: 7 });
    assert.equal(c.users, 7);
    assert.equal(c.videos, PRESET_SIZES.large.videos);
  });
});
