import { createRouter } from "../http/openapi.js";

export const lineageRoutes = createRouter();
