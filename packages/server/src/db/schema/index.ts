export * from "./projects.js";
export * from "./runs.js";
export * from "./metrics.js";
