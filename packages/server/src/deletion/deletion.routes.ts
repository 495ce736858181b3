import { createRouter } from "../http/openapi.js";

/** Soft deletion, restore and purge of runs and projects. */
export const deletionRoutes = createRouter();
