import { createRouter } from "../http/openapi.js";

export const artifactsRoutes = createRouter();
