/** The line `mtf --version` prints: package version, runtime and the numeric backend in use. */
import { runtimeInfo } from "../nn/run-metadata.js";

export function versionLine(): string {
  const info = runtimeInfo();
  const note = info.backendNote ? ` (${info.backendNote})` : "";
  const threads = `${info.threads} thread${info.threads === 1 ? "" : "s"}`;
  return `mtf ${info.mtfVersion} (node ${info.node}, ${info.platform}, numeric backend ${info.backend}, ${threads}${note})`;
}
