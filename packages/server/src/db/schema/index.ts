export * from "./projects.js";
export * from "./runs.js";
export * from "./metrics.js";
export * from "./auth.js";
export * from "./audit.js";
export * from "./artifacts.js";
export * from "./datasets.js";
export * from "./models.js";
