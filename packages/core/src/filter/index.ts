export * from "./ast.js";
export { parseFilter, parseOrderBy, MAX_FILTER_LENGTH, MAX_FILTER_DEPTH } from "./parser.js";
export { formatField, formatFilter, formatLiteral, formatOrderBy } from "./format.js";
