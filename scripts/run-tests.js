#!/usr/bin/env node
// Finds test files under the given roots and runs them with Node's test runner through tsx.
// Node 20's `--test` does not expand globs, so the list is built here.
// Usage: node scripts/run-tests.js <suffix> <root...> [-- extra node --test flags]
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const args = process.argv.slice(2);
const dash = args.indexOf("--");
const positional = dash === -1 ? args : args.slice(0, dash);
const extra = dash === -1 ? [] : args.slice(dash + 1);
const [suffix, ...roots] = positional;
if (!suffix || roots.length === 0) {
  console.error("usage: run-tests.js <suffix> <root...> [-- node test flags]");
  process.exit(2);
}

function collect(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith(suffix)) out.push(path);
  }
  return out;
}

const files = roots.flatMap((root) => collect(root, []));
if (files.length === 0) {
  console.error(`no files ending in ${suffix} under ${roots.join(", ")}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", ...extra, ...files],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
