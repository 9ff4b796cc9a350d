/** Utilities every agent shares: targets, reshapes, normaliser, checkpoint I/O, the training loop. */
export * from "./batch.js";
export * from "./checkpoint.js";
export * from "./normaliser.js";
export * from "./targets.js";
export * from "./training-loop.js";
