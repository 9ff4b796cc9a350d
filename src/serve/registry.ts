/**
 * The model registry (DESIGN.md "Storage and scale"): a folder of immutable versions and one
 * atomically switched pointer.
 *
 *   <dir>/versions/v0001/policy.ckpt     the policy artefact (nn checkpoint format)
 *   <dir>/versions/v0001/manifest.json   kind, SHA-256 of the artefact, state-encoder version,
 *                                        state and profile sizes, normaliser, training config and
 *                                        its hash, the OPE figures, a note
 *   <dir>/pointer.json                   { current, canary: { version, share }, history }
 *
 * A version is written into a hidden temp folder and renamed into place, so it appears whole or
 * not at all, and is never written again. The pointer is replaced by write-fsync-rename, so a
 * reader sees the old pointer or the new one. Serving loads a version only after checking the
 * artefact's SHA-256, its encoder version and its sizes (`loadVersion`); anything else is refused
 * with a coded error and the version serving before keeps serving.
 */
import { createHash, randomBytes } from "node:crypto";
import { copyFile, mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { MtfError } from "../core/errors.js";
import type { Policy } from "../core/interfaces.js";
import { HISTORY_DIM, STATE_ENCODER_VERSION } from "../core/state-encoder.js";
import { artefactKind, type LoaderContext, type PolicyLoader } from "./policy-loaders.js";

const ARTEFACT_FILE = "policy.ckpt";
const MANIFEST_FILE = "manifest.json";
const POINTER_FILE = "pointer.json";
const VERSION_PATTERN = /^v\d{4,}$/;

const opeSchema = z.strictObject({
  /** V̂ of Eq. 9 (Conservative-OPE) under the dataset's reward. */
  value: z.number(),
  /** Interval around V̂ (e.g. the bootstrap over sessions), when computed. */
  low: z.number().nullable(),
  high: z.number().nullable(),
  /** Anything else the evaluation recorded (penalty α, seeds, dataset…). */
  details: z.record(z.string(), z.unknown()),
});

export const versionManifestSchema = z.strictObject({
  format: z.literal("mtf-model-version"),
  formatVersion: z.literal(1),
  version: z.string().regex(VERSION_PATTERN),
  createdAt: z.string(),
  policyKind: z.string(),
  artefact: z.strictObject({
    file: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int(),
  }),
  stateEncoderVersion: z.number().int(),
  stateDim: z.number().int().positive(),
  profileDim: z.number().int().min(0),
  normaliser: z.strictObject({ mean: z.array(z.number()), std: z.array(z.number()) }).nullable(),
  configHash: z.string().nullable(),
  /** The resolved training config (JSON), when the publisher passed one. */
  config: z.unknown(),
  ope: opeSchema.nullable(),
  note: z.string().nullable(),
});
export type VersionManifest = z.output<typeof versionManifestSchema>;
export type OpeFigures = z.output<typeof opeSchema>;

const POINTER_ACTIONS = ["publish", "promote", "rollback", "canary", "clear-canary"] as const;

const pointerSchema = z.strictObject({
  format: z.literal("mtf-registry-pointer"),
  formatVersion: z.literal(1),
  current: z.string().nullable(),
  canary: z.strictObject({ version: z.string(), share: z.number().gt(0).lt(1) }).nullable(),
  history: z.array(
    z.strictObject({
      at: z.string(),
      action: z.enum(POINTER_ACTIONS),
      current: z.string().nullable(),
      canary: z.string().nullable(),
    }),
  ),
});
export type RegistryPointer = z.output<typeof pointerSchema>;
type PointerAction = (typeof POINTER_ACTIONS)[number];

const EMPTY_POINTER: RegistryPointer = {
  format: "mtf-registry-pointer",
  formatVersion: 1,
  current: null,
  canary: null,
  history: [],
};

export interface PublishOptions {
  /** The resolved training config, kept in the manifest with its hash. */
  readonly config?: unknown;
  readonly ope?: OpeFigures | null;
  readonly note?: string | null;
}

export interface VersionListing {
  readonly version: string;
  /** Null when the manifest is unreadable; `problem` says why. */
  readonly manifest: VersionManifest | null;
  readonly problem: string | null;
}

export interface LoadedVersion {
  readonly manifest: VersionManifest;
  readonly policy: Policy;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function syncPath(target: string): Promise<void> {
  const handle = await open(target, "r");
  try {
    await handle.sync();
  } catch {
    // directories cannot be fsync'd everywhere
  } finally {
    await handle.close();
  }
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const temp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}`,
  );
  const handle = await open(temp, "w");
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  await syncPath(path.dirname(file));
}

function corrupt(message: string, cause?: unknown): MtfError {
  return new MtfError("REGISTRY_CORRUPT", message, cause === undefined ? {} : { cause });
}

function sameValues(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
}

export class ModelRegistry {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  private versionDir(version: string): string {
    if (!VERSION_PATTERN.test(version)) {
      throw new MtfError(
        "REGISTRY_VERSION_NOT_FOUND",
        `"${version}" is not a version name (v0001, v0002, …)`,
      );
    }
    return path.join(this.dir, "versions", version);
  }

  artefactPath(manifest: VersionManifest): string {
    return path.join(this.versionDir(manifest.version), manifest.artefact.file);
  }

  async pointer(): Promise<RegistryPointer> {
    const file = path.join(this.dir, POINTER_FILE);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return EMPTY_POINTER;
      throw error;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw corrupt(`${file} is not JSON`, error);
    }
    const parsed = pointerSchema.safeParse(value);
    if (!parsed.success) throw corrupt(`${file} is invalid: ${parsed.error.message}`, parsed.error);
    return parsed.data;
  }

  async manifest(version: string): Promise<VersionManifest> {
    const file = path.join(this.versionDir(version), MANIFEST_FILE);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new MtfError(
          "REGISTRY_VERSION_NOT_FOUND",
          `version ${version} is not in the registry ${this.dir}`,
          {
            details: { version },
          },
        );
      }
      throw error;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw corrupt(`${file} is not JSON`, error);
    }
    const parsed = versionManifestSchema.safeParse(value);
    if (!parsed.success) throw corrupt(`${file} is invalid: ${parsed.error.message}`, parsed.error);
    if (parsed.data.version !== version) throw corrupt(`${file} names version ${parsed.data.version}`);
    return parsed.data;
  }

  /** Every version, oldest first, with its manifest or the reason it cannot be read. */
  async list(): Promise<VersionListing[]> {
    let names: string[];
    try {
      names = await readdir(path.join(this.dir, "versions"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const versions = names
      .filter((name) => VERSION_PATTERN.test(name))
      .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
    const listings: VersionListing[] = [];
    for (const version of versions) {
      try {
        listings.push({ version, manifest: await this.manifest(version), problem: null });
      } catch (error) {
        listings.push({ version, manifest: null, problem: (error as Error).message });
      }
    }
    return listings;
  }

  /**
   * Adds an artefact as a new immutable version (it is loaded first: a file no loader accepts, or
   * one trained on another state-encoder version, is refused). Does not move the pointer.
   */
  async publish(
    artefactFile: string,
    loaders: Readonly<Record<string, PolicyLoader>>,
    context: Omit<LoaderContext, "id">,
    options: PublishOptions = {},
  ): Promise<VersionManifest> {
    const kind = await artefactKind(artefactFile);
    const loader = loaders[kind];
    if (loader === undefined) {
      throw new MtfError(
        "MODEL_INCOMPATIBLE",
        `${artefactFile} holds a "${kind}"; the registry serves ${Object.keys(loaders).join(", ")}`,
      );
    }
    const loaded = await loader(artefactFile, { ...context, id: "candidate" });
    checkEncoderVersion(loaded.stateEncoderVersion, artefactFile);
    const profileDim = loaded.policy.stateDim - HISTORY_DIM;
    if (profileDim < 0) {
      throw new MtfError(
        "MODEL_INCOMPATIBLE",
        `${artefactFile}: state size ${loaded.policy.stateDim} is below the encoder's ${HISTORY_DIM} history features`,
      );
    }
    const bytes = await readFile(artefactFile);
    const versionsDir = path.join(this.dir, "versions");
    await mkdir(versionsDir, { recursive: true });
    const temp = path.join(versionsDir, `.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
    await mkdir(temp);
    try {
      await copyFile(artefactFile, path.join(temp, ARTEFACT_FILE));
      await syncPath(path.join(temp, ARTEFACT_FILE));
      for (let attempt = 0; attempt < 100; attempt++) {
        const version = await this.nextVersionName();
        const manifest: VersionManifest = {
          format: "mtf-model-version",
          formatVersion: 1,
          version,
          createdAt: new Date().toISOString(),
          policyKind: kind,
          artefact: { file: ARTEFACT_FILE, sha256: sha256(bytes), bytes: bytes.length },
          stateEncoderVersion: loaded.stateEncoderVersion,
          stateDim: loaded.policy.stateDim,
          profileDim,
          normaliser:
            loaded.normaliser === null
              ? null
              : { mean: [...loaded.normaliser.mean], std: [...loaded.normaliser.std] },
          configHash: loaded.configHash,
          config: options.config ?? null,
          ope: options.ope ?? null,
          note: options.note ?? null,
        };
        await writeJsonAtomic(path.join(temp, MANIFEST_FILE), manifest);
        try {
          await rename(temp, this.versionDir(version));
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "ENOTEMPTY" || code === "EEXIST") continue; // another publisher took the name
          throw error;
        }
        await syncPath(versionsDir);
        return manifest;
      }
      throw new MtfError("INTERNAL", "could not find a free version name");
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }

  private async nextVersionName(): Promise<string> {
    const names = await readdir(path.join(this.dir, "versions")).catch(() => [] as string[]);
    const last = names
      .filter((name) => VERSION_PATTERN.test(name))
      .reduce((max, name) => Math.max(max, Number(name.slice(1))), 0);
    return `v${String(last + 1).padStart(4, "0")}`;
  }

  /**
   * Checks and loads a version for serving: manifest, artefact SHA-256, encoder version, sizes and
   * normaliser. REGISTRY_CORRUPT or MODEL_INCOMPATIBLE when anything is off.
   */
  async loadVersion(
    version: string,
    loaders: Readonly<Record<string, PolicyLoader>>,
    context: Omit<LoaderContext, "id">,
  ): Promise<LoadedVersion> {
    const manifest = await this.manifest(version);
    const file = this.artefactPath(manifest);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw corrupt(`version ${version}: cannot read its artefact ${file}`, error);
    }
    if (bytes.length !== manifest.artefact.bytes || sha256(bytes) !== manifest.artefact.sha256) {
      throw corrupt(
        `version ${version}: the artefact's SHA-256 does not match its manifest (damaged or replaced)`,
      );
    }
    checkEncoderVersion(manifest.stateEncoderVersion, `version ${version}`);
    const loader = loaders[manifest.policyKind];
    if (loader === undefined) {
      throw new MtfError(
        "MODEL_INCOMPATIBLE",
        `version ${version} holds a "${manifest.policyKind}", which this server cannot load`,
      );
    }
    let loaded: Awaited<ReturnType<PolicyLoader>>;
    try {
      loaded = await loader(file, { ...context, id: version });
    } catch (error) {
      throw corrupt(`version ${version}: its artefact does not load: ${(error as Error).message}`, error);
    }
    checkEncoderVersion(loaded.stateEncoderVersion, `version ${version}'s artefact`);
    if (
      loaded.policy.stateDim !== manifest.stateDim ||
      manifest.stateDim !== manifest.profileDim + HISTORY_DIM
    ) {
      throw new MtfError(
        "MODEL_INCOMPATIBLE",
        `version ${version}: state size ${loaded.policy.stateDim} does not match the manifest's ${manifest.stateDim} (= ${manifest.profileDim} profile + ${HISTORY_DIM} history features)`,
      );
    }
    const a = loaded.normaliser;
    const b = manifest.normaliser;
    if (
      (a === null) !== (b === null) ||
      (a !== null && b !== null && !(sameValues(a.mean, b.mean) && sameValues(a.std, b.std)))
    ) {
      throw corrupt(`version ${version}: the artefact's normaliser differs from its manifest's`);
    }
    return { manifest, policy: loaded.policy };
  }

  private async writePointer(
    next: Omit<RegistryPointer, "history">,
    action: PointerAction,
  ): Promise<RegistryPointer> {
    const previous = await this.pointer();
    const pointer: RegistryPointer = {
      ...next,
      history: [
        ...previous.history,
        { at: new Date().toISOString(), action, current: next.current, canary: next.canary?.version ?? null },
      ],
    };
    await mkdir(this.dir, { recursive: true });
    await writeJsonAtomic(path.join(this.dir, POINTER_FILE), pointer);
    return pointer;
  }

  /** Makes `version` current (and drops a canary of the same version). */
  async setCurrent(version: string, action: PointerAction = "publish"): Promise<RegistryPointer> {
    await this.manifest(version);
    const pointer = await this.pointer();
    const canary = pointer.canary?.version === version ? null : pointer.canary;
    return this.writePointer(
      { format: pointer.format, formatVersion: pointer.formatVersion, current: version, canary },
      action,
    );
  }

  /** Routes `share` (0 < share < 1) of users to `version` before it becomes current. */
  async setCanary(version: string, share: number): Promise<RegistryPointer> {
    await this.manifest(version);
    if (!(share > 0 && share < 1))
      throw new MtfError("INVALID_ARGUMENT", `a canary share must lie in (0, 1), got ${share}`);
    const pointer = await this.pointer();
    return this.writePointer({ ...pointer, canary: { version, share } }, "canary");
  }

  async clearCanary(): Promise<RegistryPointer> {
    const pointer = await this.pointer();
    return this.writePointer({ ...pointer, canary: null }, "clear-canary");
  }

  /** Makes the canary current. */
  async promoteCanary(): Promise<RegistryPointer> {
    const pointer = await this.pointer();
    if (pointer.canary === null) throw new MtfError("INVALID_ARGUMENT", "there is no canary to promote");
    return this.setCurrent(pointer.canary.version, "promote");
  }

  /**
   * Points `current` at `to`, or by default at the version that was current before the present
   * one (the latest earlier entry of the history naming another version that still exists).
   */
  async rollback(to?: string): Promise<RegistryPointer> {
    const pointer = await this.pointer();
    let target = to;
    if (target === undefined) {
      for (let i = pointer.history.length - 1; i >= 0 && target === undefined; i--) {
        const candidate = pointer.history[i].current;
        if (candidate === null || candidate === pointer.current) continue;
        try {
          await this.manifest(candidate);
          target = candidate;
        } catch {
          // a version removed by hand cannot be rolled back to
        }
      }
    }
    if (target === undefined) {
      throw new MtfError(
        "NO_ROLLBACK_TARGET",
        `no earlier version to roll back to (current: ${pointer.current ?? "none"})`,
      );
    }
    return this.setCurrent(target, "rollback");
  }
}

function checkEncoderVersion(found: number, what: string): void {
  if (found !== STATE_ENCODER_VERSION) {
    throw new MtfError(
      "MODEL_INCOMPATIBLE",
      `${what} was trained on states of encoder version ${found}; this server encodes version ${STATE_ENCODER_VERSION}`,
      { details: { expected: STATE_ENCODER_VERSION, found } },
    );
  }
}
