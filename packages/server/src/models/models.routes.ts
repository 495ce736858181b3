import { createRouter } from "../http/openapi.js";

/** Registered models, versions and check results (issue 5). */
export const modelsRoutes = createRouter();
