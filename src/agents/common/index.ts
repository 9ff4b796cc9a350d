/**
 * Utilities every agent shares: targets, reshapes, normaliser, checkpoint I/O, the training loop;
 * the online baselines' (BO, ES) objective and online loop.
 */
export * from "./batch.js";
export * from "./checkpoint.js";
export * from "./normaliser.js";
export * from "./objective.js";
export * from "./online-loop.js";
export * from "./targets.js";
export * from "./training-loop.js";
