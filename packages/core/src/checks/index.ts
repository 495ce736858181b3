/** The data and model checks of issue 5: pure, no I/O. One line per check family. */
export * from "./drift/index.js";
export * from "./bias/index.js";
export * from "./performance/index.js";
export * from "./schema/index.js";
export * from "./skew/index.js";
