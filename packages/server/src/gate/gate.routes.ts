import { createRouter } from "../http/openapi.js";

/** Promotion policies, aliases and the gate (issue 5). */
export const gateRoutes = createRouter();
