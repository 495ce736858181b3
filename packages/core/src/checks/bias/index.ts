export { type DataBiasInput, dataBias } from "./data-bias.js";
export { type FairnessInput, fairnessMetrics } from "./fairness.js";
