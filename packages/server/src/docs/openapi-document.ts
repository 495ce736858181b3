import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context.js";

export const API_VERSION = "0.1.0";
export const API_PREFIX = "/api/v1";

/** The OpenAPI 3.1 document, generated from the routes (and so from the core schemas). */
export function buildOpenApiDocument(api: OpenAPIHono<AppEnv>) {
  // Mounted on a fresh root so the paths carry the prefix whoever else mounted `api`.
  const root = new OpenAPIHono<AppEnv>().route(API_PREFIX, api);
  return root.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Cairn API",
      version: API_VERSION,
      description:
        "Track runs, params and metrics; query them with the run filter language. Errors are RFC 9457 problem details " +
        "(`application/problem+json`) with a stable `code` and, for invalid input, `errors[]` naming each field.",
    },
    servers: [{ url: "/", description: "this server" }],
  });
}
