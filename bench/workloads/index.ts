/** Every benchmark workload, in the order `npm run bench` runs them. */
import type { Workload } from "../harness.js";
import { bcqWorkloads } from "./bcq.js";
import { dataWorkloads } from "./data.js";
import { nnWorkloads } from "./nn.js";
import { opeWorkloads } from "./ope.js";
import { serveWorkloads } from "./serve.js";
import { simWorkloads } from "./sim.js";

export function allWorkloads(): readonly Workload[] {
  return [
    ...nnWorkloads,
    ...bcqWorkloads,
    ...opeWorkloads,
    ...dataWorkloads,
    ...serveWorkloads,
    ...simWorkloads,
  ];
}
