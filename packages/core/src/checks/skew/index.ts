export { checkSkew, signatureSkewColumns, SKEW_DEFAULTS, SKEW_MAX_DISCRETE, skewVerdict, type ServingData, type SkewOptions } from "./skew.js";
export { countDecileBins, jensenShannonDistance, lInfinityDistance } from "./distance.js";
