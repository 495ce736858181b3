import { createRouter } from "../http/openapi.js";

export const datasetsRoutes = createRouter();
