/** Node-only dataset work (hashing, file reading, temp files), loaded through import() by ../run-datasets.ts. */
export { CHUNK_ROWS, computeDataset, formatOf, profileFile, profileInMemory } from "./profile.js";
export { withJsonLinesFile } from "./jsonl-writer.js";
