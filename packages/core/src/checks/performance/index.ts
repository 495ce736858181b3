export { type ClassificationInput, classificationMetrics } from "./classification.js";
export { compareLabels, defaultPositive, findLabel, isMissingLabel, keySlots, type Label, LabelEncoder, type LabelInput, labelKey } from "./labels.js";
export { MAPE_EPSILON, type RegressionInput, regressionMetrics } from "./regression.js";
export { binaryLogLoss, binaryRocAuc, LOG_LOSS_EPS, multiclassLogLoss } from "./scores.js";
