/**
 * `mtf evaluate --data <dataset> --policy <policy>`: V̂(π_e) of the Conservative Offline Policy
 * Estimator (paper Sec. 4.3.1, Eq. 9, Algorithm 2; src/ope/) on the dataset's test split, per α,
 * with a bootstrap interval over sessions and, with `--seeds k`, the spread over k refits.
 * `--out` writes a JSON result recording the policy and the dataset by checksum (reloadable,
 * comparable with `--compare`), the resolved config beside it, and the fitting curves as JSONL.
 *
 * Policies: a serving artefact (`bcq-policy`, `td3-policy`, `uwac-td3-policy`, `cql-sac-policy`,
 * `bo-policy`), `behaviour` (the production
 * baseline) or `fixed:<α_1,…,α_12>` (one fixed α in task order, within the α bounds).
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { z } from "zod";
import { BCQ_POLICY_KIND, loadBcqPolicy } from "../../agents/bcq/artefact.js";
import { alphaVector, BEHAVIOUR_ALPHA, behaviourPolicy, FixedAlphaPolicy } from "../../agents/behaviour.js";
import { BO_POLICY_KIND, loadBoPolicy } from "../../agents/bo/artefact.js";
import { CQL_SAC_POLICY_KIND, loadCqlSacPolicy } from "../../agents/cql-sac/artefact.js";
import { loadTd3Policy, TD3_POLICY_KIND, UWAC_TD3_POLICY_KIND } from "../../agents/td3/artefact.js";
import type { AlphaBounds } from "../../core/action.js";
import {
  configHash,
  coreConfigShape,
  fusionParams,
  loadConfigFile,
  parseConfig,
  resolvedConfigYaml,
} from "../../core/config.js";
import { isMtfError, MtfError } from "../../core/errors.js";
import { jsonlSink, MetricsLogger, type MetricsSink } from "../../core/metrics-logger.js";
import { Rng } from "../../core/rng.js";
import { N_TASKS } from "../../core/tasks.js";
import { type Dataset, loadDataset } from "../../data/dataset.js";
import { readCheckpoint } from "../../nn/checkpoint.js";
import { runtimeInfo } from "../../nn/run-metadata.js";
import { type OpeOptions, opeConfigSection } from "../../ope/config.js";
import { numStates, numTransitions } from "../../ope/data.js";
import { type EvaluatedPolicy, precomputeDecisions } from "../../ope/decisions.js";
import { estimatePolicyValue, type PolicyEstimate } from "../../ope/evaluate.js";
import {
  compareOpeResults,
  INTERVAL_NOTE,
  OPE_RESULT_FORMAT,
  OPE_RESULT_VERSION,
  type OpeResult,
  readOpeResult,
  writeOpeResult,
} from "../../ope/result.js";
import { opeDataFromTransitions } from "../../ope/split-data.js";
import { parsePositiveInt, parseSeed } from "../options.js";
import { startProgress } from "../progress.js";

interface EvaluateCommandOptions {
  readonly data: string;
  readonly policy: string;
  readonly alpha?: number[];
  readonly seeds: number;
  readonly iterations?: number;
  readonly out?: string;
  readonly compare?: string;
  readonly config?: string;
  readonly seed?: number;
}

const configSchema = z.looseObject({ ...coreConfigShape, ope: opeConfigSection });

function parseAlphas(value: string): number[] {
  const alphas = value.split(",").map((part) => Number(part.trim()));
  if (alphas.length === 0 || !alphas.every((a) => Number.isFinite(a) && a >= 0)) {
    throw new InvalidArgumentError(
      `expected α >= 0 or a comma-separated list (e.g. 0,0.0005,0.01), got "${value}"`,
    );
  }
  return [...new Set(alphas)];
}

/** A policy to evaluate, with what identifies it in the result. */
export interface ResolvedPolicy {
  readonly policy: EvaluatedPolicy;
  /** The artefact path or the built-in's spec. */
  readonly source: string;
  readonly sha256: string;
}

function sha256(bytes: string | Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * `behaviour`, `fixed:<12 α>` or an artefact file (kind read from the file: bcq-policy,
 * bo-policy). Built-ins are identified by the SHA-256 of their α vector.
 */
export async function resolvePolicy(
  spec: string,
  dataset: Pick<Dataset, "stateDim" | "meta">,
  bounds: AlphaBounds,
): Promise<ResolvedPolicy> {
  if (spec === "behaviour") {
    return {
      policy: behaviourPolicy(dataset.stateDim, bounds),
      source: spec,
      sha256: sha256(JSON.stringify(alphaVector(BEHAVIOUR_ALPHA))),
    };
  }
  if (spec.startsWith("fixed:")) {
    const alpha = spec.slice("fixed:".length).split(",").map(Number);
    if (alpha.length !== N_TASKS || !alpha.every(Number.isFinite)) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `--policy fixed: needs ${N_TASKS} comma-separated α values in task order, got "${spec}"`,
      );
    }
    return {
      policy: new FixedAlphaPolicy(spec, dataset.stateDim, alpha, bounds),
      source: spec,
      sha256: sha256(JSON.stringify(alpha)),
    };
  }
  const bytes = (() => {
    try {
      return readFileSync(spec);
    } catch (error) {
      throw new MtfError(
        "FILE_NOT_FOUND",
        `--policy ${spec} is neither a file nor "behaviour" / "fixed:<α…>"`,
        { cause: error },
      );
    }
  })();
  const kind = await readCheckpoint(spec, { expectedKind: "?" }).catch((error: unknown) => {
    if (isMtfError(error, "CHECKPOINT_WRONG_KIND")) return String(error.details.found);
    throw error;
  });
  const encoder = dataset.meta.stateEncoderVersion;
  if (kind === BCQ_POLICY_KIND) {
    const { policy } = await loadBcqPolicy(spec, { expectedStateEncoderVersion: encoder });
    return { policy, source: spec, sha256: sha256(bytes) };
  }
  if (kind === BO_POLICY_KIND) {
    const { policy } = await loadBoPolicy(spec);
    return { policy, source: spec, sha256: sha256(bytes) };
  }
  if (kind === CQL_SAC_POLICY_KIND) {
    const { policy } = await loadCqlSacPolicy(spec, { expectedStateEncoderVersion: encoder });
    return { policy, source: spec, sha256: sha256(bytes) };
  }
  if (kind === TD3_POLICY_KIND || kind === UWAC_TD3_POLICY_KIND) {
    const { policy } = await loadTd3Policy(spec, { expectedStateEncoderVersion: encoder });
    return { policy, source: spec, sha256: sha256(bytes) };
  }
  throw new MtfError(
    "CHECKPOINT_WRONG_KIND",
    `--policy ${spec} holds a "${String(kind)}"; mtf evaluate takes ${BCQ_POLICY_KIND}, ${BO_POLICY_KIND}, ${CQL_SAC_POLICY_KIND}, ${TD3_POLICY_KIND} or ${UWAC_TD3_POLICY_KIND} artefacts`,
  );
}

/** SHA-256 over the dataset's per-file checksums (name:sha256, sorted): equal data, equal checksum. */
export function datasetChecksum(dataset: Pick<Dataset, "meta">): string {
  const lines = Object.entries(dataset.meta.files)
    .map(([name, info]) => `${name}:${info.sha256}`)
    .sort();
  return sha256(lines.join("\n"));
}

function format(value: number): string {
  return Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3)
    ? value.toExponential(4)
    : value.toFixed(4);
}

/** The printed table: one row per α. */
export function estimateTable(estimates: readonly PolicyEstimate[], seeds: number): string {
  const header = `  ${"α".padEnd(10)}${"V̂".padEnd(12)}${"interval (sessions)".padEnd(26)}${seeds > 1 ? `refit spread (${seeds} seeds)` : ""}`;
  const rows = estimates.map((e) => {
    const confidence = `${Math.round(e.interval.confidence * 100)}%`;
    const interval = `${confidence} [${format(e.interval.low)}, ${format(e.interval.high)}]`;
    const spread =
      seeds > 1
        ? `std ${format(e.seedSpread.std)} [${format(e.seedSpread.min)}, ${format(e.seedSpread.max)}]`
        : "";
    return `  ${String(e.alpha).padEnd(10)}${format(e.value).padEnd(12)}${interval.padEnd(26)}${spread}`;
  });
  return [header, ...rows].map((line) => line.trimEnd()).join("\n");
}

function runStamp(datasetDir: string, seed: number, time: Date): string {
  const stamp = time
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const name = path.basename(path.resolve(datasetDir)).replace(/[^A-Za-z0-9._-]+/g, "-");
  return `${name}__conservative-ope__${seed}__${stamp}`;
}

function withoutExtension(file: string): string {
  return file.endsWith(".json") ? file.slice(0, -".json".length) : file;
}

export function register(program: Command): void {
  program
    .command("evaluate")
    .description(
      "estimate a policy's value V̂ (Eq. 9) on a dataset's test split with the Conservative Offline Policy Estimator",
    )
    .requiredOption("--data <dir>", "dataset folder (mtf build); its test split is D")
    .requiredOption(
      "--policy <policy>",
      'a policy artefact (bcq-policy, bo-policy, cql-sac-policy, td3-policy, uwac-td3-policy), "behaviour", or "fixed:<α_1,…,α_12>"',
    )
    .option(
      "--alpha <list>",
      "penalty α of Eq. 10, or a comma-separated list (0 = plain FQE); default the config's (0.5e-3)",
      parseAlphas,
    )
    .option("--seeds <k>", "refit Q̂ k times per α and report the spread", parsePositiveInt, 1)
    .option("--iterations <K>", "iterations K (default the config's, 5000)", parsePositiveInt)
    .option("--out <file.json>", "write the result (and <file>.config.yaml, <file>.metrics.jsonl beside it)")
    .option("--compare <result.json>", "print the difference from an earlier result on the same dataset")
    .option("--config <yaml>", "config file (gamma, fusion.alphaBounds, ope.*)")
    .option("--seed <n>", "root seed (default the config's)", parseSeed)
    .action(async (options: EvaluateCommandOptions) => {
      const loaded =
        options.config === undefined
          ? parseConfig({}, configSchema, "defaults")
          : loadConfigFile(options.config, configSchema);
      const config = {
        ...loaded,
        seed: options.seed ?? loaded.seed,
        ope: {
          ...loaded.ope,
          ...(options.iterations === undefined ? {} : { iterations: options.iterations }),
        },
      };
      const alphas = options.alpha ?? [config.ope.alpha];
      const opeOptions: OpeOptions = { ...config.ope, gamma: config.gamma };
      const previous = options.compare === undefined ? null : await readOpeResult(options.compare);

      const dataset = loadDataset(options.data);
      const data = opeDataFromTransitions(dataset, dataset.test);
      const resolved = await resolvePolicy(options.policy, dataset, fusionParams(config.fusion).bounds);
      const root = new Rng(config.seed);
      const decisions = precomputeDecisions(
        resolved.policy,
        data,
        opeOptions.decisionSamples,
        root.derive("decisions"),
      );
      const sessions = data.initialStateIndex.length;
      process.stderr.write(
        `mtf evaluate: ${resolved.policy.id} on ${options.data} (test split: ${numTransitions(data)} transitions, ${sessions} sessions); ${decisions.samples} decision(s) per state; K = ${opeOptions.iterations}, m = ${opeOptions.batchSize}, γ = ${opeOptions.gamma}\n`,
      );

      const base = options.out === undefined ? null : withoutExtension(options.out);
      const sinks: MetricsSink[] = base === null ? [] : [jsonlSink(`${base}.metrics.jsonl`)];
      const logger = new MetricsLogger(sinks);
      const total = alphas.length * options.seeds * opeOptions.iterations;
      const progress = startProgress({ label: "evaluate", total, unit: "iterations" });
      let estimates: PolicyEstimate[];
      try {
        estimates = await estimatePolicyValue(data, decisions, opeOptions, {
          alphas,
          seeds: options.seeds,
          seed: config.seed,
          logger,
          onIteration: (fit, iteration, metrics) => {
            if (iteration % 25 !== 0) return;
            progress.update(fit.fitIndex * opeOptions.iterations + iteration, {
              fit: `${fit.fitIndex + 1}/${fit.fits}`,
              alpha: fit.alpha,
              "loss/td": metrics["loss/td"],
            });
          },
        });
      } finally {
        progress.stop();
        logger.close();
      }

      const info = runtimeInfo();
      const now = new Date();
      const opeSection = config.ope;
      const result: OpeResult = {
        format: OPE_RESULT_FORMAT,
        version: OPE_RESULT_VERSION,
        runId: runStamp(options.data, config.seed, now),
        createdAt: now.toISOString(),
        policy: {
          id: resolved.policy.id,
          source: resolved.source,
          sha256: resolved.sha256,
          stochastic: resolved.policy.stochastic,
          decisionSamples: decisions.samples,
        },
        dataset: {
          path: options.data,
          checksum: datasetChecksum(dataset),
          split: "test",
          transitions: numTransitions(data),
          sessions,
          states: numStates(data),
        },
        gamma: opeOptions.gamma,
        config: opeSection,
        configHash: configHash({ gamma: opeOptions.gamma, ope: opeSection }),
        seed: config.seed,
        seeds: options.seeds,
        backend: info.backend,
        mtfVersion: info.mtfVersion,
        note: INTERVAL_NOTE,
        estimates: estimates.map((e) => ({
          ...e,
          seedValues: [...e.seedValues],
          finalMetrics: { ...e.finalMetrics },
        })),
      };
      const lines = [
        `V̂(${resolved.policy.id}) on the test split of ${options.data} (n = ${estimates[0].initialStates} initial states):`,
        estimateTable(estimates, options.seeds),
        "The interval covers the sampling of sessions only, not the variance of fitting Q̂ (--seeds k reports that).",
      ];
      if (previous !== null) {
        const comparison = compareOpeResults(previous, result);
        if (!comparison.sameConfig) lines.push("note: the earlier result used another ope config or γ");
        for (const e of comparison.estimates) {
          lines.push(
            `  vs ${comparison.baselinePolicy} at α ${e.alpha}: ${format(e.candidate)} − ${format(e.baseline)} = ${format(e.difference)}${e.intervalsOverlap ? " (intervals overlap)" : ""}`,
          );
        }
        if (comparison.estimates.length === 0) lines.push(`  no α in common with ${options.compare}`);
      }
      if (options.out !== undefined && base !== null) {
        await writeOpeResult(options.out, result);
        writeFileSync(`${base}.config.yaml`, resolvedConfigYaml(config));
        lines.push(`wrote ${options.out}, ${base}.config.yaml and ${base}.metrics.jsonl`);
      }
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
