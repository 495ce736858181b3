import { createRouter } from "../http/openapi.js";

/** The monitoring report per model (issue 6). */
export const monitoringRoutes = createRouter();
