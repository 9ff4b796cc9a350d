/** The public API of `report`: render a run's results as Markdown, CSV, figures and one HTML file. */
export * from "./document.js";
export * from "./figures.js";
export * from "./format.js";
export * from "./html.js";
export * from "./markdown.js";
export * from "./render.js";
export * from "./schema.js";
export * from "./table1.js";
export type * from "./types.js";
export * from "./write.js";
