import { createRouter } from "../http/openapi.js";

/** Prediction and label ingestion (issue 6). */
export const predictionsRoutes = createRouter();
