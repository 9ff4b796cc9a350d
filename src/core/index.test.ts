import assert from "node:assert/strict";
import { test } from "node:test";
import * as action from "./action.js";
import * as config from "./config.js";
import * as errors from "./errors.js";
import * as events from "./events.js";
import * as fusion from "./fusion.js";
import * as core from "./index.js";
import * as interfaces from "./interfaces.js";
import * as reward from "./reward.js";
import * as rng from "./rng.js";
import * as tasks from "./tasks.js";

test("the index re-exports every value of every core module, with no name clashes", () => {
  const modules = { action, config, errors, events, fusion, interfaces, reward, rng, tasks };
  const seen = new Map<string, string>();
  for (const [name, module] of Object.entries(modules)) {
    for (const [key, value] of Object.entries(module)) {
      assert.equal(seen.get(key), undefined, `${key} is exported by both ${seen.get(key)} and ${name}`);
      seen.set(key, name);
      assert.equal((core as Record<string, unknown>)[key], value, `index misses ${name}.${key}`);
    }
  }
  assert.equal(Object.keys(core).length, seen.size);
});
