export { checkSkew, SKEW_DEFAULTS, SKEW_MAX_DISCRETE, type ServingData, type SkewOptions } from "./skew.js";
export { countDecileBins, jensenShannonDistance, lInfinityDistance } from "./distance.js";
