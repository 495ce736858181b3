export { alignCategories, chooseMethod, DRIFT_DEFAULTS, type DriftColumnOptions, driftColumn, METHOD_TYPES } from "./column.js";
export { detectDrift, type DriftOptions, summariseDrift } from "./detect.js";
// jensenShannonDistance is exported through checks/skew, which uses it for numerical skew.
export { chiSquareHomogeneity, populationStabilityIndex, wassersteinSorted } from "./distances.js";
export { kolmogorovSf } from "./kolmogorov.js";
export { type KsResult, ksTwoSample } from "./ks.js";
export { driftAgainstProfile, type ProfileDriftMethod, type ProfileDriftOptions } from "./profile.js";
export { type DriftColumns, type DriftData, DriftInputError, type DriftRecords, type DriftValue } from "./prepare.js";
export { chiSquareSf } from "./special.js";
