import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { DEFAULT_ALPHA_BOUNDS, DEFAULT_BETA } from "./action.js";
import {
  configHash,
  configSection,
  extendConfig,
  fusionParams,
  loadConfigFile,
  type MtfConfig,
  mtfConfigSchema,
  parseConfig,
  resolvedConfigYaml,
  timeZoneOffsetMinutes,
} from "./config.js";
import { isMtfError, type MtfError } from "./errors.js";
import { TASKS } from "./tasks.js";

const dir = mkdtempSync(join(tmpdir(), "mtf-config-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function thrown(call: () => unknown): MtfError {
  try {
    call();
  } catch (error) {
    if (isMtfError(error)) return error;
    throw error;
  }
  assert.fail("expected an MtfError");
}

/** A module section as bcq/ would define it. */
const bcqSection = configSection({
  lrCritic: z.number().positive().default(2e-4),
  rho: z.number().positive().default(0.15),
});
const fullSchema = extendConfig({ bcq: bcqSection });

test("an empty config resolves to the paper/DESIGN defaults", () => {
  const config = parseConfig({}, mtfConfigSchema, "config.yaml");
  assert.equal(config.seed, 0);
  assert.equal(config.timeZone, "+08:00");
  assert.equal(config.gamma, 0.95);
  assert.equal(config.reward.preset, "default");
  assert.equal(config.reward.weights, undefined);
  const { beta, bounds } = fusionParams(config.fusion);
  assert.deepEqual(Array.from(beta), DEFAULT_BETA);
  assert.deepEqual(bounds, DEFAULT_ALPHA_BOUNDS);
  assert.deepEqual(parseConfig(null, mtfConfigSchema, "empty.yaml"), config);
  assert.deepEqual(parseConfig({}, fullSchema, "config.yaml").bcq, { lrCritic: 2e-4, rho: 0.15 });
});

test("per-task values: partial records keep the other defaults; 12-arrays are read in task order", () => {
  const partial = parseConfig(
    { fusion: { beta: { play_time: 2 }, alphaBounds: { like: [0, 4] } } },
    mtfConfigSchema,
    "c",
  );
  assert.equal(partial.fusion.beta.play_time, 2);
  assert.equal(partial.fusion.beta.click, 0.01);
  assert.deepEqual(partial.fusion.alphaBounds.like, [0, 4]);
  assert.deepEqual(partial.fusion.alphaBounds.skip, [-2, 0]);

  const values = TASKS.map((_, i) => 0.1 * (i + 1));
  const fromArray = parseConfig({ fusion: { beta: values } }, mtfConfigSchema, "c");
  assert.deepEqual(Array.from(fusionParams(fromArray.fusion).beta), values);
});

test("an unknown key is rejected naming its dotted path, with a suggestion", () => {
  const nested = thrown(() => parseConfig({ fusion: { betta: { like: 1 } } }, fullSchema, "config.yaml"));
  assert.equal(nested.code, "UNKNOWN_CONFIG_KEY");
  assert.equal(nested.message, 'config.yaml: unknown key "fusion.betta" (did you mean "beta"?)');

  const inModule = thrown(() => parseConfig({ bcq: { lrcritic: 1 } }, fullSchema, "run.yaml"));
  assert.equal(inModule.message, 'run.yaml: unknown key "bcq.lrcritic" (did you mean "lrCritic"?)');

  const deep = thrown(() => parseConfig({ fusion: { beta: { lik: 1 } } }, fullSchema, "c.yaml"));
  assert.equal(deep.message, 'c.yaml: unknown key "fusion.beta.lik" (did you mean "like"?)');

  const noSuggestion = thrown(() => parseConfig({ completelyDifferent: 1 }, fullSchema, "c.yaml"));
  assert.equal(noSuggestion.message, 'c.yaml: unknown key "completelyDifferent"');
  // A core-only schema does not know module sections.
  assert.equal(thrown(() => parseConfig({ bcq: {} }, mtfConfigSchema, "c.yaml")).code, "UNKNOWN_CONFIG_KEY");
});

test("a wrong type is rejected naming the file and the field", () => {
  const error = thrown(() => parseConfig({ bcq: { lrCritic: "abc" } }, fullSchema, "config.yaml"));
  assert.equal(error.code, "INVALID_CONFIG");
  assert.equal(error.message, 'config.yaml: bcq.lrCritic: expected number, got string "abc"');
  const issues = error.details.issues as readonly { path: string }[];
  assert.deepEqual(
    issues.map((i) => i.path),
    ["bcq.lrCritic"],
  );

  const several = thrown(() =>
    parseConfig(
      { seed: 1.5, gamma: 1, fusion: { beta: { hate: 0 } }, timeZone: "+8" },
      mtfConfigSchema,
      "x.yaml",
    ),
  );
  const lines = several.message.split("\n");
  assert.equal(lines.length, 4);
  for (const [line, field] of [
    [0, "seed"],
    [1, "timeZone"],
    [2, "gamma"],
    [3, "fusion.beta.hate"],
  ] as const) {
    assert.ok(lines[line].startsWith(`x.yaml: ${field}: `), lines[line]);
  }

  const bounds = thrown(() =>
    parseConfig({ fusion: { alphaBounds: { like: [2, 1] } } }, mtfConfigSchema, "x"),
  );
  assert.match(bounds.message, /^x: fusion\.alphaBounds\.like: expected \[low, high\] with low < high/);
  const shortArray = thrown(() => parseConfig({ fusion: { beta: [1, 2] } }, mtfConfigSchema, "x"));
  assert.match(shortArray.message, /fusion\.beta: expected a per-task record or an array of 12 values/);
  const missing = thrown(() => parseConfig({ reward: { weights: { like: 1 } } }, mtfConfigSchema, "x"));
  assert.match(missing.message, /x: reward\.weights\.play_time_min: missing, expected number/);
  const preset = thrown(() => parseConfig({ reward: { preset: "tim" } }, mtfConfigSchema, "x"));
  assert.match(preset.message, /x: reward\.preset: .*"time".*got string "tim"/);
});

test("time zones are ±HH:MM offsets", () => {
  assert.equal(timeZoneOffsetMinutes("+08:00"), 480);
  assert.equal(timeZoneOffsetMinutes("-05:30"), -330);
  assert.equal(timeZoneOffsetMinutes("+00:00"), 0);
  for (const bad of ["8", "+8:00", "+08:60", "+15:00", "UTC", "+08:00 "]) {
    assert.throws(
      () => timeZoneOffsetMinutes(bad),
      (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"),
    );
    assert.equal(thrown(() => parseConfig({ timeZone: bad }, mtfConfigSchema, "c")).code, "INVALID_CONFIG");
  }
  assert.equal(parseConfig({ timeZone: "-03:00" }, mtfConfigSchema, "c").timeZone, "-03:00");
});

test("the hash is stable under key order and changes with any value", () => {
  const a = parseConfig({ seed: 3, reward: { preset: "time" } }, fullSchema, "a");
  const reordered = Object.fromEntries(Object.entries(a).reverse());
  assert.deepEqual(Object.keys(reordered), Object.keys(a).reverse());
  assert.equal(configHash(reordered), configHash(a));
  assert.match(configHash(a), /^[0-9a-f]{16}$/);
  assert.equal(configHash({ x: { b: 1, a: 2 } }), configHash({ x: { a: 2, b: 1 } }));

  const b = parseConfig({ seed: 4, reward: { preset: "time" } }, fullSchema, "b");
  const c = parseConfig({ seed: 3, bcq: { rho: 0.2 }, reward: { preset: "time" } }, fullSchema, "c");
  assert.equal(new Set([configHash(a), configHash(b), configHash(c)]).size, 3);
  // Explicit defaults resolve to the same config, so the same hash.
  const explicit = parseConfig({ seed: 3, gamma: 0.95, reward: { preset: "time" } }, fullSchema, "d");
  assert.equal(configHash(explicit), configHash(a));
});

test("resolved YAML round-trips through the loader to the same config and hash", () => {
  const weights = {
    play_time_min: 1.2,
    play_integrity: 0.3,
    like: 0.8,
    comment: 1,
    follow: 2,
    forward: 1,
    profile_enter: 0.1,
    hate: -2,
    skip: -0.2,
  };
  const config = parseConfig(
    {
      seed: 17,
      fusion: { beta: { play_time: 0.5 } },
      reward: { preset: "interaction", weights },
      bcq: { lrCritic: 3e-4 },
    },
    fullSchema,
    "in",
  );
  const text = resolvedConfigYaml(config);
  assert.match(text, new RegExp(`^# mtf resolved config, hash ${configHash(config)}\n`));
  assert.deepEqual(parseYaml(text), config);
  const path = writeConfig("resolved.yaml", text);
  const loaded = loadConfigFile(path, fullSchema);
  assert.deepEqual(loaded, config);
  assert.equal(configHash(loaded), configHash(config));
});

test("loadConfigFile: YAML in, coded errors for missing files, bad YAML and non-mappings", () => {
  const path = writeConfig("config.yaml", "seed: 5\nfusion:\n  betta: 1\n");
  const error = thrown(() => loadConfigFile(path, mtfConfigSchema));
  assert.equal(error.code, "UNKNOWN_CONFIG_KEY");
  assert.equal(error.message, `${path}: unknown key "fusion.betta" (did you mean "beta"?)`);

  const ok: MtfConfig = loadConfigFile(writeConfig("ok.yaml", "seed: 5\ngamma: 0.9\n"), mtfConfigSchema);
  assert.deepEqual([ok.seed, ok.gamma], [5, 0.9]);
  assert.equal(loadConfigFile(writeConfig("empty.yaml", ""), mtfConfigSchema).seed, 0);

  const missing = thrown(() => loadConfigFile(join(dir, "nope.yaml"), mtfConfigSchema));
  assert.equal(missing.code, "FILE_NOT_FOUND");
  assert.match(missing.message, /nope\.yaml/);

  const badYaml = thrown(() => loadConfigFile(writeConfig("bad.yaml", "seed: [1,\n"), mtfConfigSchema));
  assert.equal(badYaml.code, "INVALID_CONFIG");
  assert.match(badYaml.message, /bad\.yaml: not valid YAML/);

  const duplicate = thrown(() =>
    loadConfigFile(writeConfig("dup.yaml", "seed: 1\nseed: 2\n"), mtfConfigSchema),
  );
  assert.equal(duplicate.code, "INVALID_CONFIG");

  const list = thrown(() => loadConfigFile(writeConfig("list.yaml", "- 1\n- 2\n"), mtfConfigSchema));
  assert.equal(list.code, "INVALID_CONFIG");
  assert.match(list.message, /list\.yaml: expected a mapping/);
});
