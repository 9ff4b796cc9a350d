/**
 * The offline algorithms, by name, as `mtf train` (cli/commands/train.ts) and the pipeline
 * (pipeline/stages/train.ts) use them: how to resolve an algorithm's config, build or resume its
 * trainer, export its serving artefact and load the policy back. The training loop, replay
 * buffer and metrics are shared (common/training-loop.ts). Each algorithm's config is the root
 * config's section of the same name (`bcq`, `td3`, `uwac-td3`, `cql-sac`).
 */

import path from "node:path";
import type { z } from "zod";
import type { BatchSource, Policy } from "../core/interfaces.js";
import type { Dataset } from "../data/dataset.js";
import { loadBcqPolicy, saveBcqPolicy } from "./bcq/artefact.js";
import {
  BCQ_PRESETS,
  type BcqConfig,
  bcqConfig,
  bcqConfigFromSection,
  bcqConfigSection,
} from "./bcq/config.js";
import { BcqTrainer } from "./bcq/trainer.js";
import type { ArtefactProvenance } from "./common/checkpoint.js";
import type { Trainer } from "./common/training-loop.js";
import { loadCqlSacPolicy, saveCqlSacPolicy } from "./cql-sac/artefact.js";
import {
  CQL_SAC_PRESETS,
  type CqlSacConfig,
  cqlSacConfig,
  cqlSacConfigFromSection,
  cqlSacConfigSection,
} from "./cql-sac/config.js";
import { CqlSacTrainer } from "./cql-sac/trainer.js";
import { loadTd3Policy, saveTd3Policy } from "./td3/artefact.js";
import {
  TD3_PRESETS,
  type Td3Config,
  td3Config,
  td3ConfigFromSection,
  td3ConfigSection,
} from "./td3/config.js";
import { Td3Trainer } from "./td3/trainer.js";
import {
  UWAC_TD3_PRESETS,
  type UwacTd3Config,
  uwacTd3Config,
  uwacTd3ConfigFromSection,
  uwacTd3ConfigSection,
} from "./uwac-td3/config.js";
import { UwacTd3Trainer } from "./uwac-td3/trainer.js";

/** The loop fields every algorithm's config has. */
export interface LoopConfig {
  readonly steps: number;
  readonly batchSize: number;
  readonly replayCapacity: number | "all";
  readonly logEvery: number;
  readonly checkpointEvery: number;
}

export interface TrainerContext<C extends LoopConfig> {
  readonly config: C;
  readonly seed: number;
  readonly dataset: Dataset;
  readonly source: BatchSource;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** The training run an exported artefact comes from. */
export interface ExportContext {
  readonly runId: string;
  readonly configHash: string;
  readonly dataset: Dataset;
}

export interface OfflineAlgorithm<C extends LoopConfig = LoopConfig> {
  readonly name: string;
  /** One line for `mtf train <name> --help`. */
  readonly description: string;
  /** Presets its config section accepts (`--preset`). */
  readonly presets: readonly string[];
  /** The zod schema of its config section (the root config's key `name`). */
  readonly section: z.ZodType;
  /** The resolved config from a parsed section and the root γ (`mtf train`). */
  fromSection(section: unknown, rootGamma: number): C;
  /** The algorithm's resolved config: its root section (γ from the root) with `overrides` applied. */
  resolve(
    root: { readonly gamma: number } & Readonly<Record<string, unknown>>,
    overrides: Readonly<Record<string, unknown>>,
  ): C;
  create(context: TrainerContext<C>): Trainer;
  resume(checkpointPath: string, context: TrainerContext<C>): Promise<Trainer>;
  exportPolicy(trainer: Trainer, artefactPath: string, provenance: ExportContext): Promise<void>;
  loadPolicy(artefactPath: string, id: string, dataset: Dataset): Promise<Policy>;
  /** Metric keys of the estimated Q's mean and std in metrics.jsonl (Fig. 5). */
  readonly qKeys: { readonly mean: string; readonly std: string };
}

/** The algorithm's root section with γ defaulting to the root's and the method's overrides. */
function section(
  root: { readonly gamma: number } & Readonly<Record<string, unknown>>,
  name: string,
  overrides: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const values = (root[name] ?? {}) as Record<string, unknown>;
  return { ...values, gamma: values.gamma ?? root.gamma, ...overrides };
}

/** The artefact provenance of a training run (agents/common/checkpoint.ts). */
function artefactMeta(trainedSteps: number, provenance: ExportContext): ArtefactProvenance {
  return {
    stateEncoderVersion: provenance.dataset.meta.stateEncoderVersion,
    trainedSteps,
    configHash: provenance.configHash,
    dataset: path.resolve(provenance.dataset.dir),
    runId: provenance.runId,
  };
}

/** Loading an artefact for a dataset: its policy must take the dataset's encoded states. */
function loadOptions(id: string, dataset: Dataset) {
  return { id, expectedStateEncoderVersion: dataset.meta.stateEncoderVersion };
}

const bcq: OfflineAlgorithm<BcqConfig> = {
  name: "bcq",
  description: "BatchRL-MTF: BCQ per the paper's Algorithm 1 (Sec. 3.2, Eq. 3-7)",
  presets: BCQ_PRESETS,
  section: bcqConfigSection,
  fromSection: (section, gamma) => bcqConfigFromSection(section as z.output<typeof bcqConfigSection>, gamma),
  resolve: (root, overrides) => bcqConfig(section(root, "bcq", overrides)),
  create: ({ config, seed, dataset, source, metadata }) =>
    new BcqTrainer({ config, source, normaliser: dataset.normaliser, seed, metadata }),
  resume: (checkpointPath, { config, source, metadata }) =>
    BcqTrainer.fromCheckpoint(checkpointPath, { source, config, metadata }),
  async exportPolicy(trainer, artefactPath, provenance) {
    const t = trainer as BcqTrainer;
    await saveBcqPolicy(artefactPath, t.policy(`bcq@${provenance.runId}`), artefactMeta(t.step, provenance));
  },
  async loadPolicy(artefactPath, id, dataset) {
    const { policy } = await loadBcqPolicy(artefactPath, loadOptions(id, dataset));
    return policy;
  },
  qKeys: { mean: "q/mean", std: "q/std" },
};

const cqlSac: OfflineAlgorithm<CqlSacConfig> = {
  name: "cql-sac",
  description: "CQL+SAC baseline: SAC with the CQL(H) regulariser (Kumar et al., 2020); serves tanh(μ)",
  presets: CQL_SAC_PRESETS,
  section: cqlSacConfigSection,
  fromSection: (section, gamma) =>
    cqlSacConfigFromSection(section as z.output<typeof cqlSacConfigSection>, gamma),
  resolve: (root, overrides) => cqlSacConfig(section(root, "cql-sac", overrides)),
  create: ({ config, seed, dataset, source, metadata }) =>
    new CqlSacTrainer({ config, source, normaliser: dataset.normaliser, seed, metadata }),
  resume: (checkpointPath, { config, source, metadata }) =>
    CqlSacTrainer.fromCheckpoint(checkpointPath, { source, config, metadata }),
  async exportPolicy(trainer, artefactPath, provenance) {
    const t = trainer as CqlSacTrainer;
    await saveCqlSacPolicy(
      artefactPath,
      t.policy(`cql-sac@${provenance.runId}`),
      artefactMeta(t.step, provenance),
    );
  },
  async loadPolicy(artefactPath, id, dataset) {
    const { policy } = await loadCqlSacPolicy(artefactPath, loadOptions(id, dataset));
    return policy;
  },
  qKeys: { mean: "q/mean", std: "q/std" },
};

function td3Family<C extends Td3Config>(
  name: "td3" | "uwac-td3",
  help: Pick<OfflineAlgorithm<C>, "description" | "presets" | "section" | "fromSection">,
  parse: (input: Record<string, unknown>) => C,
  create: (args: ConstructorParameters<typeof Td3Trainer>[0] & { config: C }) => Trainer,
  resume: (
    checkpointPath: string,
    args: { source: BatchSource; config: C; metadata: Readonly<Record<string, unknown>> },
  ) => Promise<Trainer>,
): OfflineAlgorithm<C> {
  return {
    name,
    ...help,
    resolve: (root, overrides) => parse(section(root, name, overrides)),
    create: ({ config, seed, dataset, source, metadata }) =>
      create({ config, source, normaliser: dataset.normaliser, seed, metadata }),
    resume: (checkpointPath, { config, source, metadata }) =>
      resume(checkpointPath, { source, config, metadata }),
    async exportPolicy(trainer, artefactPath, provenance) {
      const t = trainer as unknown as Td3Trainer<Td3Config>;
      await saveTd3Policy(
        artefactPath,
        t.policy(`${name}@${provenance.runId}`),
        name,
        artefactMeta(t.step, provenance),
      );
    },
    async loadPolicy(artefactPath, id, dataset) {
      const { policy } = await loadTd3Policy(artefactPath, loadOptions(id, dataset));
      return policy;
    },
    qKeys: { mean: "q/mean", std: "q/std" },
  };
}

const td3 = td3Family<Td3Config>(
  "td3",
  {
    description:
      "TD3 baseline (Fujimoto et al., 2018), offline: twin critics, target smoothing, delayed actor",
    presets: TD3_PRESETS,
    section: td3ConfigSection,
    fromSection: (values, gamma) => td3ConfigFromSection(values as z.output<typeof td3ConfigSection>, gamma),
  },
  (input) => td3Config(input),
  (args) => new Td3Trainer(args),
  (checkpointPath, args) => Td3Trainer.fromCheckpoint(checkpointPath, args),
);

const uwacTd3 = td3Family<UwacTd3Config>(
  "uwac-td3",
  {
    description:
      "UWAC+TD3 baseline (Wu et al., 2021): TD3 with losses down-weighted by MC-dropout uncertainty",
    presets: UWAC_TD3_PRESETS,
    section: uwacTd3ConfigSection,
    fromSection: (values, gamma) =>
      uwacTd3ConfigFromSection(values as z.output<typeof uwacTd3ConfigSection>, gamma),
  },
  (input) => uwacTd3Config(input),
  (args) => new UwacTd3Trainer(args),
  (checkpointPath, args) => UwacTd3Trainer.fromCheckpoint(checkpointPath, args),
);

/** Every offline algorithm, by name. */
export const OFFLINE_ALGORITHMS: Readonly<Record<string, OfflineAlgorithm>> = {
  bcq: bcq as unknown as OfflineAlgorithm,
  td3: td3 as unknown as OfflineAlgorithm,
  "uwac-td3": uwacTd3 as unknown as OfflineAlgorithm,
  "cql-sac": cqlSac as unknown as OfflineAlgorithm,
};
