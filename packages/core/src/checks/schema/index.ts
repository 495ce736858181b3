export { checkSchema, DEFAULT_SEVERITY, SCHEMA_CHECK_DEFAULTS, type SchemaCheckInput, type SchemaCheckOptions, type SchemaReference } from "./check.js";
export { checkSchemaOfColumns } from "./data.js";
export { referenceRanges } from "./data.js";
export { ColumnScan, type ColumnScanResult, type ReferenceRange } from "./scan.js";
export { compareSignatures, type SignatureCompatibility, type SignatureTypeChange } from "./signature-compat.js";
