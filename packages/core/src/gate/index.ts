export * from "./duration.js";
export * from "./evidence.js";
export * from "./evaluate.js";
export * from "./policy-errors.js";
