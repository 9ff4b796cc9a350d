/**
 * `mtf registry list|publish|rollback|canary|promote`: the model registry (src/serve/registry.ts)
 * that `mtf serve` hot-reloads from. Versions are immutable; only the pointer moves.
 */
import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { fusionParams, loadConfigFile, parseConfig } from "../../core/config.js";
import { serveRootSchema } from "../../serve/config.js";
import { POLICY_LOADERS } from "../../serve/policy-loaders.js";
import { ModelRegistry, type RegistryPointer } from "../../serve/registry.js";

interface LocationOptions {
  readonly run?: string;
  readonly registry?: string;
  readonly config?: string;
}

interface PublishCommandOptions extends LocationOptions {
  readonly activate?: boolean;
  readonly canary?: number;
  readonly opeValue?: number;
  readonly opeLow?: number;
  readonly opeHigh?: number;
  readonly note?: string;
}

function parseNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got "${value}"`);
  return n;
}

function parseShare(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1))
    throw new InvalidArgumentError(`expected a share strictly between 0 and 1, got "${value}"`);
  return n;
}

function config(options: LocationOptions) {
  return options.config === undefined
    ? parseConfig({}, serveRootSchema, "defaults")
    : loadConfigFile(options.config, serveRootSchema);
}

function registryAt(options: LocationOptions): ModelRegistry {
  if (options.registry !== undefined) return new ModelRegistry(options.registry);
  if (options.run !== undefined) return new ModelRegistry(path.join(options.run, "registry"));
  return new ModelRegistry(config(options).serve.registryDir);
}

function withLocation(command: Command): Command {
  return command
    .option("--run <dir>", "run folder; the registry is <dir>/registry")
    .option("--registry <dir>", "registry folder (overrides --run)")
    .option("--config <yaml>", "config file whose serve.registryDir is used when neither is given");
}

function describePointer(pointer: RegistryPointer): string {
  const canary =
    pointer.canary === null ? "" : `, canary ${pointer.canary.version} for ${pointer.canary.share} of users`;
  return `current ${pointer.current ?? "none (the fallback α is served)"}${canary}`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

async function list(options: LocationOptions & { readonly json?: boolean }): Promise<void> {
  const registry = registryAt(options);
  const [versions, pointer] = await Promise.all([registry.list(), registry.pointer()]);
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify({ pointer, versions }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`registry ${registry.dir}: ${describePointer(pointer)}\n`);
  if (versions.length === 0) {
    process.stdout.write("no versions yet (mtf registry publish <artefact>)\n");
    return;
  }
  const rows = versions.map(({ version, manifest, problem }) => {
    const role =
      version === pointer.current ? "current" : version === pointer.canary?.version ? "canary" : "";
    if (manifest === null) return [version, role, "?", "", "", "", "", `UNREADABLE: ${problem ?? ""}`];
    return [
      version,
      role,
      manifest.policyKind,
      manifest.createdAt.slice(0, 19).replace("T", " "),
      String(manifest.stateEncoderVersion),
      String(manifest.stateDim),
      manifest.ope === null ? "-" : manifest.ope.value.toPrecision(5),
      manifest.note ?? "",
    ];
  });
  const header = ["version", "role", "kind", "created (UTC)", "encoder", "stateDim", "OPE V̂", "note"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) {
    process.stdout.write(
      `${row
        .map((cell, i) => pad(cell, widths[i]))
        .join("  ")
        .trimEnd()}\n`,
    );
  }
}

async function publish(artefact: string, options: PublishCommandOptions): Promise<void> {
  const registry = registryAt(options);
  const { bounds } = fusionParams(config(options).fusion);
  const ope =
    options.opeValue === undefined
      ? null
      : { value: options.opeValue, low: options.opeLow ?? null, high: options.opeHigh ?? null, details: {} };
  const manifest = await registry.publish(
    artefact,
    POLICY_LOADERS,
    { bounds },
    { ope, note: options.note ?? null },
  );
  process.stdout.write(
    `published ${manifest.version} (${manifest.policyKind}, sha256 ${manifest.artefact.sha256.slice(0, 12)}…)\n`,
  );
  if (options.activate === true) {
    process.stdout.write(`${describePointer(await registry.setCurrent(manifest.version))}\n`);
  } else if (options.canary !== undefined) {
    process.stdout.write(`${describePointer(await registry.setCanary(manifest.version, options.canary))}\n`);
  }
}

export function register(program: Command): void {
  const registry = program
    .command("registry")
    .description("list, publish and roll back served model versions");
  withLocation(
    registry.command("list").description("versions, their checks and figures, and which one serves"),
  )
    .option("--json", "print the pointer and manifests as JSON")
    .action(list);
  withLocation(
    registry.command("publish <artefact>").description("add a policy artefact as a new immutable version"),
  )
    .option("--activate", "make it current right away")
    .option("--canary <share>", "route this share of users to it first", parseShare)
    .option("--ope-value <v>", "Conservative-OPE V̂ to record", parseNumber)
    .option("--ope-low <v>", "lower end of V̂'s interval", parseNumber)
    .option("--ope-high <v>", "upper end of V̂'s interval", parseNumber)
    .option("--note <text>", "a note kept in the manifest")
    .action(publish);
  withLocation(
    registry
      .command("rollback [version]")
      .description("point current at [version], default: the version current before the present one"),
  ).action(async (version: string | undefined, options: LocationOptions) => {
    process.stdout.write(`${describePointer(await registryAt(options).rollback(version))}\n`);
  });
  withLocation(
    registry
      .command("canary <version> <share>")
      .description("route a share of users to a version before it is current"),
  ).action(async (version: string, share: string, options: LocationOptions) => {
    process.stdout.write(
      `${describePointer(await registryAt(options).setCanary(version, parseShare(share)))}\n`,
    );
  });
  withLocation(registry.command("promote").description("make the canary current")).action(
    async (options: LocationOptions) => {
      process.stdout.write(`${describePointer(await registryAt(options).promoteCanary())}\n`);
    },
  );
}
