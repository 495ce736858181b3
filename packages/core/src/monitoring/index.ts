export { type LabelAggregate, type LabelPair, MAX_LABEL_CLASSES, predictedValue } from "./labels.js";
export { type NumberSummary, mergeNumberSummaries, numberQuantile, summariseNumbers } from "./number-summary.js";
export { type CompiledReference, compileReference, EMPTY_REFERENCE, type ReferenceFeature, type ReferenceInput } from "./reference.js";
export { countColumnViolations, valueViolation, type ViolationCounts } from "./violations.js";
export {
  aggregateLabels,
  aggregatePredictionColumns,
  aggregatePredictions,
  type CategoryCounts,
  classKey,
  emptyWindowAggregate,
  type FeatureDriftCounts,
  MAX_TRACKED_CATEGORIES,
  mergeAllWindowAggregates,
  mergeWindowAggregates,
  type PredictionColumnsInput,
  type PredictionRow,
  type WindowAggregate,
} from "./window-aggregate.js";
export { type PredictionBatchResult, parsePredictionBatch } from "./prediction-batch.js";
export {
  COLUMNAR_PRESENT,
  type ColumnarBatchResult,
  type ColumnarRowInput,
  type DecodedColumnsResult,
  type DecodedPredictionColumns,
  decodePredictionColumns,
  encodePredictionColumns,
  isColumnarBody,
  parsePredictionColumns,
  predictionsOfColumns,
} from "./prediction-columns.js";
