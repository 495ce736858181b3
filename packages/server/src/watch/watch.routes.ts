import { createRouter } from "../http/openapi.js";

/** Server-sent alias events for client.models.watch (issue 6). */
export const watchRoutes = createRouter();
