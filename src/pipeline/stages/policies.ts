/** The run's policies by method name: the trained artefacts, the tuned ones and the behaviour policy. */
import path from "node:path";
import { OFFLINE_ALGORITHMS } from "../../agents/offline-algorithms.js";
import type { Policy } from "../../core/interfaces.js";
import { datasetName, type OfflineMethod, type OnlineMethod } from "./config.js";
import type { StageContext } from "./context.js";
import { loadOnlinePolicy, runBehaviourPolicy } from "./online.js";
import { methodDir, runDataset, TRAIN_FILES } from "./train.js";

export const BEHAVIOUR = "behaviour";

/** A method of the run, with its reward preset and (offline) its dataset. */
export interface RunMethod {
  readonly name: string;
  readonly kind: "offline" | "online" | "behaviour";
  readonly reward: string;
  /** Dataset of its training (offline) or of its OPE (all: the main dataset for the others). */
  readonly dataset: string;
  readonly sweep: OfflineMethod["sweep"] | null;
}

/** Every method of the run: offline in table order, online, then the behaviour policy. */
export function runMethods(context: StageContext): RunMethod[] {
  const main = datasetName("mixed", "default");
  return [
    ...context.config.pipeline.offline.map(
      (m): RunMethod => ({
        name: m.name,
        kind: "offline",
        reward: m.reward,
        dataset: datasetName(m.data, m.reward),
        sweep: m.sweep ?? null,
      }),
    ),
    ...context.config.pipeline.online.map(
      (m): RunMethod => ({ name: m, kind: "online", reward: "default", dataset: main, sweep: null }),
    ),
    { name: BEHAVIOUR, kind: "behaviour", reward: "default", dataset: main, sweep: null },
  ];
}

/** Loads the policy of a method of the run (its id is the method's name). */
export async function loadMethodPolicy(context: StageContext, method: RunMethod): Promise<Policy> {
  if (method.kind === "behaviour") return runBehaviourPolicy(context);
  if (method.kind === "online") return loadOnlinePolicy(context, method.name as OnlineMethod);
  const entry = context.config.pipeline.offline.find((m) => m.name === method.name);
  if (entry === undefined) throw new Error(`unreachable: ${method.name} is an offline method of the run`);
  const algorithm = OFFLINE_ALGORITHMS[entry.algorithm];
  return algorithm.loadPolicy(
    path.join(methodDir(context, method.name), TRAIN_FILES.policy),
    method.name,
    runDataset(context, method.dataset),
  );
}
