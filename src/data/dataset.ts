/**
 * `mtf build`: log store → sessions → states → transitions → a dataset folder (DESIGN.md "MDP",
 * "Storage and scale"; paper Sec. 2, 3.1, 4.1).
 *
 * The build streams: DuckDB yields per-play rows in (user, time) order as column vectors, chunk
 * by chunk (play-stream.ts: one sort; the session bounds of sql/session-bounds.sql are applied
 * to the sorted rows in TypeScript); the state encoder and `TransitionBuilder` turn them into
 * states and transitions written straight to disk. Memory stays bounded: one user's history, per-session spans (20 B a session), the s
 * index of each transition (4 B) and the I/O buffers. The time split then orders the sessions,
 * and a second, sequential pass over states.f32 fits the normaliser on the train states.
 *
 * Which plays form transitions (an "eligible" play):
 * - it carries a logged action (the normalised action, or α mapped through the α bounds).
 *   Logs without actions (KuaiRand) cannot be trained on: the build refuses them with
 *   NO_LOGGED_ACTIONS and points to `mtf fit-reward` and calibration, their use;
 * - its exploration group is selected: by default exploration traffic only (random and
 *   action-noise, as in the paper), `includeTarget` adds target traffic, `groups` picks groups
 *   (e.g. random only for the -RE variant);
 * - its session started within the last `lastDays` local days of the log (all days by default).
 * History features always use all of the user's plays, eligible or not.
 *
 * Output folder (written to a temporary folder, then renamed into place):
 *   states.f32        [nStates x stateDim]   raw states, each once, in stream order
 *   actions.f32       [nTransitions x 12]    normalised actions
 *   rewards.f32       [nTransitions]         Eq. 2 under the chosen preset
 *   state-index.i32   [nTransitions]         row of s in states
 *   next-index.i32    [nTransitions]         row of s' in states
 *   terminated.u8, truncated.u8, first.u8    [nTransitions] flags (transitions.ts)
 *   train.i32, test.i32                      transition indices of each split in time order
 *   dataset.json      metadata: shapes, checksums, encoder version, normaliser (train only),
 *                     reward preset and weights, split, filters, source, counts
 *   config.yaml       the resolved config, when the caller passes one
 * Transitions are stored in stream order ((user, time)); `train` / `test` give time order.
 */
import fs from "node:fs";
import path from "node:path";
import { type AlphaBounds, DEFAULT_ALPHA_BOUNDS } from "../core/action.js";
import { configHash, resolvedConfigYaml } from "../core/config.js";
import { MtfError } from "../core/errors.js";
import { EXPLORATION_GROUPS, type ExplorationGroup } from "../core/events.js";
import { ACTION_DIM } from "../core/interfaces.js";
import { REWARD_FEATURES, type RewardPreset, type RewardWeights, rewardWeights } from "../core/reward.js";
import {
  DEFAULT_UTC_OFFSET_MINUTES,
  STATE_ENCODER_VERSION,
  stateDim,
  stateFeatureNames,
} from "../core/state-encoder.js";
import { replaceDir, tempSibling } from "./atomic-dir.js";
import { type BinaryFileInfo, BinaryFileWriter, readBinaryFile, writeBinaryFile } from "./binary-files.js";
import type { LogStore } from "./log-store.js";
import { type Normaliser, NormaliserAccumulator, validateNormaliser } from "./normaliser.js";
import { actionsByGroup, logWindow, streamedPlayCounts, streamPlays } from "./play-stream.js";
import { DEFAULT_INACTIVITY_MINUTES, inactivityMs } from "./sessions.js";
import { DEFAULT_TEST_FRACTION, SessionSpanCollector, timeSplit, trainSessionCount } from "./split.js";
import {
  TransitionBuilder,
  type TransitionCounts,
  type TransitionSink,
  type TransitionTable,
} from "./transitions.js";

export const DATASET_FORMAT = "mtf-dataset";
export const DATASET_FORMAT_VERSION = 1;

const DAY_MS = 86_400_000;

/** Exploration traffic: the training set by default (paper Sec. 3.3; DESIGN.md). */
export const EXPLORATION_TRAFFIC: readonly ExplorationGroup[] = ["random", "action_noise"];

/** The Eq. 2 weights a build uses. */
export interface RewardChoice {
  readonly preset: RewardPreset;
  /** Fitted base weights (`mtf fit-reward`); absent = `FALLBACK_REWARD_WEIGHTS`. */
  readonly fitted?: RewardWeights;
  /** Where the base weights came from (a file, the config, "fallback constants"). */
  readonly source: string;
}

export interface BuildOptions {
  /** Output folder; must not exist unless `overwrite`. */
  readonly outDir: string;
  readonly reward: RewardChoice;
  /** Exploration groups whose plays form transitions (default: random + action_noise). */
  readonly groups?: readonly ExplorationGroup[];
  /** Keep sessions that started within the last N local days of the log. */
  readonly lastDays?: number;
  /** Share of sessions (the latest) in the test split, default 0.1. */
  readonly testFraction?: number;
  /** Inactivity gap that ends a session without a logged session id, default 30. */
  readonly inactivityMinutes?: number;
  /** Local time zone of days and hour features, minutes east of UTC (default 480 = UTC+8). */
  readonly utcOffsetMinutes?: number;
  /** Bounds that map a logged α onto the action space when the log lacks the action. */
  readonly alphaBounds?: AlphaBounds;
  /** Replace an existing output folder. */
  readonly overwrite?: boolean;
  /** The run's resolved config: written as config.yaml, its hash recorded. */
  readonly resolvedConfig?: unknown;
  readonly seed?: number;
  /** About how many plays each streamed partition holds (default 1,000,000; see play-stream.ts). */
  readonly partitionPlays?: number;
  /** Called after each streamed chunk with plays done and plays in total. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface DatasetMeta {
  readonly format: typeof DATASET_FORMAT;
  readonly formatVersion: number;
  readonly createdAt: string;
  readonly stateEncoderVersion: number;
  readonly stateDim: number;
  readonly profileDim: number;
  readonly actionDim: number;
  readonly featureNames: readonly string[];
  readonly utcOffsetMinutes: number;
  readonly reward: {
    readonly preset: RewardPreset;
    /** Eq. 2 weights actually used (preset applied), by feature. */
    readonly weights: Readonly<Record<string, number>>;
    readonly source: string;
  };
  readonly split: {
    readonly rule: string;
    readonly testFraction: number;
    readonly trainSessions: number;
    readonly testSessions: number;
    readonly trainTransitions: number;
    readonly testTransitions: number;
  };
  readonly filters: {
    readonly groups: readonly ExplorationGroup[];
    readonly lastDays: number | null;
    /** Sessions starting before this time were left out, epoch ms. */
    readonly fromMs: number;
    readonly inactivityMinutes: number;
  };
  readonly window: { readonly firstEventMs: number; readonly lastEventMs: number };
  readonly episodeEnds: string;
  readonly source: { readonly store: string; readonly events: number };
  readonly counts: TransitionCounts & { readonly usersWithoutProfile: number };
  readonly normaliser: Normaliser;
  readonly files: Readonly<Record<DatasetFile, BinaryFileInfo>>;
  readonly seed: number | null;
  readonly configHash: string | null;
}

const DATASET_FILES = {
  states: "states.f32",
  actions: "actions.f32",
  rewards: "rewards.f32",
  stateIndex: "state-index.i32",
  nextIndex: "next-index.i32",
  terminated: "terminated.u8",
  truncated: "truncated.u8",
  first: "first.u8",
  train: "train.i32",
  test: "test.i32",
} as const;
type DatasetFile = keyof typeof DATASET_FILES;

/** A loaded dataset: the transition table, both splits in time order and the metadata. */
export interface Dataset extends TransitionTable {
  readonly dir: string;
  readonly meta: DatasetMeta;
  readonly normaliser: Normaliser;
  /** Train transitions in time order. */
  readonly train: Int32Array;
  /** Test transitions in time order. */
  readonly test: Int32Array;
}

const SPLIT_RULE =
  "sessions with transitions ordered by (start time, user_id, session number); the first ceil(n·(1 − testFraction)) → train, the rest → test; sessions are never split";
const EPISODE_ENDS =
  "on a session's last play: terminated when its exit is logged as 1, or derived and the log runs on for more than the inactivity threshold after it; truncated when its exit is logged as 0, or derived and the play lies within the inactivity threshold of the log's last event";

// --- build ------------------------------------------------------------------------------

class FileSink implements TransitionSink {
  readonly states: BinaryFileWriter<"float32">;
  readonly actions: BinaryFileWriter<"float32">;
  readonly rewards: BinaryFileWriter<"float32">;
  readonly stateIndex: BinaryFileWriter<"int32">;
  readonly nextIndex: BinaryFileWriter<"int32">;
  readonly terminated: BinaryFileWriter<"uint8">;
  readonly truncated: BinaryFileWriter<"uint8">;
  readonly first: BinaryFileWriter<"uint8">;
  readonly spans = new SessionSpanCollector();
  /** In-memory copy of the s indices, for the normaliser pass: [transitions]. */
  private sIndex = new Int32Array(1 << 16);

  constructor(dir: string) {
    const at = (file: DatasetFile) => path.join(dir, DATASET_FILES[file]);
    this.states = new BinaryFileWriter(at("states"), "float32");
    this.actions = new BinaryFileWriter(at("actions"), "float32");
    this.rewards = new BinaryFileWriter(at("rewards"), "float32");
    this.stateIndex = new BinaryFileWriter(at("stateIndex"), "int32");
    this.nextIndex = new BinaryFileWriter(at("nextIndex"), "int32");
    this.terminated = new BinaryFileWriter(at("terminated"), "uint8");
    this.truncated = new BinaryFileWriter(at("truncated"), "uint8");
    this.first = new BinaryFileWriter(at("first"), "uint8");
  }

  writeState(state: Float32Array): void {
    this.states.pushAll(state);
  }

  writeTransition(
    stateIndex: number,
    action: Float64Array,
    rewardValue: number,
    terminated: boolean,
    truncated: boolean,
    first: boolean,
  ): void {
    const t = this.stateIndex.length;
    if (t === this.sIndex.length) {
      const grown = new Int32Array(t * 2);
      grown.set(this.sIndex);
      this.sIndex = grown;
    }
    this.sIndex[t] = stateIndex;
    this.stateIndex.push(stateIndex);
    this.actions.pushAll(action);
    this.rewards.push(rewardValue);
    this.terminated.push(terminated ? 1 : 0);
    this.truncated.push(truncated ? 1 : 0);
    this.first.push(first ? 1 : 0);
  }

  writeNextIndex(nextIndex: number): void {
    this.nextIndex.push(nextIndex);
  }

  endSession(startMs: number, firstTransition: number, transitions: number): void {
    this.spans.add(startMs, firstTransition, transitions);
  }

  /** Row of s of each transition: [transitions]. */
  stateIndices(): Int32Array {
    return this.sIndex.subarray(0, this.stateIndex.length);
  }

  close(dim: number): Record<Exclude<DatasetFile, "train" | "test">, BinaryFileInfo> {
    return {
      states: this.states.close(DATASET_FILES.states, dim),
      actions: this.actions.close(DATASET_FILES.actions, ACTION_DIM),
      rewards: this.rewards.close(DATASET_FILES.rewards),
      stateIndex: this.stateIndex.close(DATASET_FILES.stateIndex),
      nextIndex: this.nextIndex.close(DATASET_FILES.nextIndex),
      terminated: this.terminated.close(DATASET_FILES.terminated),
      truncated: this.truncated.close(DATASET_FILES.truncated),
      first: this.first.close(DATASET_FILES.first),
    };
  }
}

/**
 * Fits the normaliser on the states of the train transitions (each state row once), reading
 * states.f32 sequentially in 16 MiB blocks.
 */
function fitTrainNormaliser(
  statesFile: string,
  dim: number,
  nStates: number,
  sIndex: Int32Array,
  train: Int32Array,
): Normaliser {
  const isTrain = new Uint8Array(nStates);
  for (let i = 0; i < train.length; i++) isTrain[sIndex[train[i]]] = 1;
  const acc = new NormaliserAccumulator(dim);
  const rowsPerBlock = Math.max(1, Math.floor((16 << 20) / (4 * dim)));
  const block = new Float32Array(rowsPerBlock * dim);
  const bytes = new Uint8Array(block.buffer);
  const fd = fs.openSync(statesFile, "r");
  try {
    for (let first = 0; first < nStates; first += rowsPerBlock) {
      const rows = Math.min(rowsPerBlock, nStates - first);
      const length = rows * dim * 4;
      let read = 0;
      while (read < length) read += fs.readSync(fd, bytes, read, length - read, first * dim * 4 + read);
      for (let r = 0; r < rows; r++) if (isTrain[first + r] === 1) acc.add(block, r * dim); // [rows x dim]
    }
  } finally {
    fs.closeSync(fd);
  }
  return acc.result();
}

function checkGroups(groups: readonly string[]): readonly ExplorationGroup[] {
  if (groups.length === 0) throw new MtfError("INVALID_ARGUMENT", "select at least one exploration group");
  for (const g of groups) {
    if (!(EXPLORATION_GROUPS as readonly string[]).includes(g)) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `unknown exploration group "${g}"; known: ${EXPLORATION_GROUPS.join(", ")}`,
      );
    }
  }
  return [...new Set(groups)] as ExplorationGroup[];
}

/** Builds a dataset from the store's events; see the file header for what it writes. */
export async function buildDataset(store: LogStore, options: BuildOptions): Promise<DatasetMeta> {
  const groups = checkGroups(options.groups ?? EXPLORATION_TRAFFIC);
  const testFraction = options.testFraction ?? DEFAULT_TEST_FRACTION;
  const inactivityMinutes = options.inactivityMinutes ?? DEFAULT_INACTIVITY_MINUTES;
  const gapMs = inactivityMs(inactivityMinutes);
  const utcOffsetMinutes = options.utcOffsetMinutes ?? DEFAULT_UTC_OFFSET_MINUTES;
  const bounds = options.alphaBounds ?? DEFAULT_ALPHA_BOUNDS;
  const weights = rewardWeights(options.reward.preset, options.reward.fitted);
  if (options.lastDays !== undefined && !(Number.isInteger(options.lastDays) && options.lastDays > 0)) {
    throw new MtfError("INVALID_ARGUMENT", `lastDays must be a positive integer, got ${options.lastDays}`);
  }
  trainSessionCount(0, testFraction); // validates the fraction
  const outDir = path.resolve(options.outDir);
  if (fs.existsSync(outDir) && options.overwrite !== true) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `${outDir} already exists; choose another output folder or allow overwriting`,
    );
  }

  const window = await logWindow(store);
  if (window.events === 0) throw new MtfError("EMPTY_DATASET", `the log store ${store.path} holds no events`);
  if (window.withAction === 0) {
    throw new MtfError(
      "NO_LOGGED_ACTIONS",
      `none of the ${window.events} events in ${store.path} carries a logged action (α): transitions need one. ` +
        "Logs like KuaiRand serve calibration and reward fitting (mtf fit-reward), not training.",
      { details: { events: window.events } },
    );
  }
  const offsetMs = utcOffsetMinutes * 60_000;
  const lastDay = Math.floor((window.lastMs + offsetMs) / DAY_MS);
  const fromMs =
    options.lastDays === undefined ? window.firstMs : (lastDay - options.lastDays + 1) * DAY_MS - offsetMs;
  const profileNames = await store.userProfileFeatures();
  const profileDim = profileNames.length;
  const dim = stateDim(profileDim);

  const streamed = await streamedPlayCounts(store, groups);
  const tmp = tempSibling(outDir);
  fs.mkdirSync(tmp, { recursive: true });
  try {
    const sink = new FileSink(tmp);
    const builder = new TransitionBuilder(
      {
        profileDim,
        rewardWeights: weights,
        windowEndMs: window.lastMs,
        inactivityMs: gapMs,
        fromMs,
        utcOffsetMinutes,
      },
      sink,
    );
    await streamPlays(
      store,
      {
        groups,
        alphaBounds: bounds,
        profileDim,
        inactivityMs: gapMs,
        partitionPlays: options.partitionPlays,
      },
      (row) => builder.push(row),
      (done) => options.onProgress?.(done, streamed.plays),
    );
    const counts = builder.finish();
    if (counts.transitions === 0) {
      throw new MtfError(
        "EMPTY_DATASET",
        `no play passes the filters: groups [${groups.join(", ")}]${options.lastDays === undefined ? "" : `, sessions of the last ${options.lastDays} days`}. ` +
          `Plays with actions by group: ${await actionsByGroup(store)}`,
        { details: { groups, lastDays: options.lastDays ?? null } },
      );
    }
    const binaries = sink.close(dim);
    const split = timeSplit(sink.spans.spans(), testFraction);
    const files: Record<DatasetFile, BinaryFileInfo> = {
      ...binaries,
      train: writeBinaryFile(path.join(tmp, DATASET_FILES.train), DATASET_FILES.train, "int32", split.train),
      test: writeBinaryFile(path.join(tmp, DATASET_FILES.test), DATASET_FILES.test, "int32", split.test),
    };
    const normaliser = fitTrainNormaliser(
      path.join(tmp, DATASET_FILES.states),
      dim,
      counts.states,
      sink.stateIndices(),
      split.train,
    );
    const meta: DatasetMeta = {
      format: DATASET_FORMAT,
      formatVersion: DATASET_FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      stateEncoderVersion: STATE_ENCODER_VERSION,
      stateDim: dim,
      profileDim,
      actionDim: ACTION_DIM,
      featureNames: stateFeatureNames(profileNames),
      utcOffsetMinutes,
      reward: {
        preset: options.reward.preset,
        weights: Object.fromEntries(REWARD_FEATURES.map((f, j) => [f, weights[j]])),
        source: options.reward.source,
      },
      split: {
        rule: SPLIT_RULE,
        testFraction,
        trainSessions: split.trainSessions,
        testSessions: split.testSessions,
        trainTransitions: split.train.length,
        testTransitions: split.test.length,
      },
      filters: { groups, lastDays: options.lastDays ?? null, fromMs, inactivityMinutes },
      window: { firstEventMs: window.firstMs, lastEventMs: window.lastMs },
      episodeEnds: EPISODE_ENDS,
      source: { store: path.resolve(store.path), events: window.events },
      counts: { ...counts, usersWithoutProfile: streamed.usersWithoutProfile },
      normaliser,
      files,
      seed: options.seed ?? null,
      configHash: options.resolvedConfig === undefined ? null : configHash(options.resolvedConfig),
    };
    if (options.resolvedConfig !== undefined) {
      fs.writeFileSync(path.join(tmp, "config.yaml"), resolvedConfigYaml(options.resolvedConfig));
    }
    fs.writeFileSync(path.join(tmp, "dataset.json"), `${JSON.stringify(meta, null, 2)}\n`);
    replaceDir(tmp, outDir);
    return meta;
  } catch (error) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}

// --- load -------------------------------------------------------------------------------

export interface LoadOptions {
  /** State-encoder version the caller works with (default: this build's). */
  readonly expectedEncoderVersion?: number;
  /** Check SHA-256 checksums (default true). */
  readonly verify?: boolean;
}

function corrupt(dir: string, message: string): MtfError {
  return new MtfError("CHECKPOINT_CORRUPT", `dataset ${dir}: ${message}`, { details: { dir } });
}

function readMeta(dir: string): DatasetMeta {
  const file = path.join(dir, "dataset.json");
  if (!fs.existsSync(file)) {
    throw new MtfError(
      "FILE_NOT_FOUND",
      `${dir} is not a dataset (no dataset.json); build one with mtf build`,
      {
        details: { dir },
      },
    );
  }
  let meta: Partial<DatasetMeta>;
  try {
    meta = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<DatasetMeta>;
  } catch (error) {
    throw new MtfError("CHECKPOINT_CORRUPT", `${file} is not valid JSON`, { cause: error });
  }
  if (meta.format !== DATASET_FORMAT) {
    throw new MtfError(
      "CHECKPOINT_WRONG_KIND",
      `${file} is not an mtf dataset (format ${String(meta.format)})`,
    );
  }
  if (meta.formatVersion !== DATASET_FORMAT_VERSION) {
    throw new MtfError(
      "CHECKPOINT_WRONG_VERSION",
      `${file} has dataset format v${meta.formatVersion}; this mtf reads v${DATASET_FORMAT_VERSION}: rebuild it with mtf build`,
    );
  }
  return meta as DatasetMeta;
}

/** Checks that every index and flag points where it should (coded error instead of a crash later). */
function validateTable(dir: string, d: Omit<Dataset, "dir" | "meta" | "normaliser">, nStates: number): void {
  const n = d.rewards.length;
  for (let t = 0; t < n; t++) {
    if (
      !(d.stateIndex[t] >= 0 && d.stateIndex[t] < nStates && d.nextIndex[t] >= 0 && d.nextIndex[t] < nStates)
    ) {
      throw corrupt(
        dir,
        `transition ${t} refers to state ${d.stateIndex[t]} → ${d.nextIndex[t]}, outside [0, ${nStates})`,
      );
    }
    if (d.terminated[t] > 1 || d.truncated[t] > 1 || d.terminated[t] + d.truncated[t] > 1 || d.first[t] > 1) {
      throw corrupt(
        dir,
        `transition ${t} has flags terminated ${d.terminated[t]}, truncated ${d.truncated[t]}`,
      );
    }
    if (!Number.isFinite(d.rewards[t])) throw corrupt(dir, `transition ${t} has reward ${d.rewards[t]}`);
  }
  const seen = new Uint8Array(n);
  for (const [name, order] of [
    ["train", d.train],
    ["test", d.test],
  ] as const) {
    for (let i = 0; i < order.length; i++) {
      const t = order[i];
      if (!(t >= 0 && t < n) || seen[t] === 1)
        throw corrupt(dir, `${name}[${i}] = ${t} is out of range or repeated`);
      seen[t] = 1;
    }
  }
  if (d.train.length + d.test.length !== n) {
    throw corrupt(dir, `train (${d.train.length}) and test (${d.test.length}) do not cover ${n} transitions`);
  }
}

/**
 * Loads a dataset folder, refusing (coded errors naming what differs) a missing or foreign
 * folder, another format or state-encoder version, a file whose size or SHA-256 differs from
 * dataset.json, and indices or flags out of range.
 */
export function loadDataset(dir: string, options: LoadOptions = {}): Dataset {
  const meta = readMeta(dir);
  const expected = options.expectedEncoderVersion ?? STATE_ENCODER_VERSION;
  if (meta.stateEncoderVersion !== expected) {
    throw new MtfError(
      "DATASET_MISMATCH",
      `dataset ${dir} was built with state encoder v${meta.stateEncoderVersion}, expected v${expected}: rebuild it with mtf build`,
      { details: { dir, expected, actual: meta.stateEncoderVersion } },
    );
  }
  if (meta.stateDim !== stateDim(meta.profileDim) || meta.actionDim !== ACTION_DIM) {
    throw new MtfError(
      "DATASET_MISMATCH",
      `dataset ${dir}: state dim ${meta.stateDim} / action dim ${meta.actionDim} do not match profile dim ${meta.profileDim} under encoder v${expected}`,
    );
  }
  const verify = options.verify ?? true;
  const file = <D extends "float32" | "int32" | "uint8">(name: DatasetFile, dtype: D) => {
    const info = meta.files?.[name];
    if (info === undefined) throw corrupt(dir, `dataset.json does not describe ${DATASET_FILES[name]}`);
    return readBinaryFile(path.join(dir, DATASET_FILES[name]), info, dtype, verify);
  };
  const states = file("states", "float32");
  const nStates = meta.files.states.shape[0];
  if (meta.files.states.shape[1] !== meta.stateDim) {
    throw corrupt(dir, `states.f32 has ${meta.files.states.shape[1]} columns, stateDim is ${meta.stateDim}`);
  }
  const table = {
    stateDim: meta.stateDim,
    states,
    actions: file("actions", "float32"),
    rewards: file("rewards", "float32"),
    stateIndex: file("stateIndex", "int32"),
    nextIndex: file("nextIndex", "int32"),
    terminated: file("terminated", "uint8"),
    truncated: file("truncated", "uint8"),
    first: file("first", "uint8"),
    train: file("train", "int32"),
    test: file("test", "int32"),
  };
  const n = table.rewards.length;
  for (const name of ["stateIndex", "nextIndex", "terminated", "truncated", "first"] as const) {
    if (table[name].length !== n)
      throw corrupt(dir, `${DATASET_FILES[name]} holds ${table[name].length} rows, rewards ${n}`);
  }
  if (table.actions.length !== n * ACTION_DIM)
    throw corrupt(dir, `actions.f32 does not hold ${n} x ${ACTION_DIM} values`);
  validateTable(dir, table, nStates);
  const normaliser = validateNormaliser(meta.normaliser, meta.stateDim, `dataset ${dir}`);
  return { dir, meta, normaliser, ...table };
}
