/** The public API of `core`: what every other module may import. */
export * from "./action.js";
export * from "./config.js";
export * from "./errors.js";
export * from "./events.js";
export * from "./fusion.js";
export * from "./interfaces.js";
export * from "./reward.js";
export * from "./rng.js";
export * from "./tasks.js";
