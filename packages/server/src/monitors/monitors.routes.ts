import { createRouter } from "../http/openapi.js";

/** Monitors, alerts and webhook deliveries (issue 6). */
export const monitorsRoutes = createRouter();
