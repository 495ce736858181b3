import { createRoute } from "@hono/zod-openapi";
import { ApiKey, CreatedKey, CreateKey, KeyList, ListQuery, Uuid, WhoAmI } from "@cairn/core";
import { z } from "zod";
import { createRouter, jsonBody, jsonResponse, problems } from "../http/openapi.js";
import { createKey, listKeys, revokeKey } from "./keys.service.js";

export const keysRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/keys",
      tags: ["keys"],
      summary: "Create an API key (admin); the secret is in this response only",
      request: { body: jsonBody(CreateKey) },
      responses: { 201: jsonResponse(CreatedKey, "The new key, with its secret"), ...problems },
    }),
    async (c) => c.json(await createKey({ ctx: c.get("ctx"), actor: c.get("actor"), input: c.req.valid("json") }), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/keys",
      tags: ["keys"],
      summary: "List API keys (admin; never the secrets)",
      request: { query: ListQuery },
      responses: { 200: jsonResponse(KeyList, "A page of keys"), ...problems },
    }),
    async (c) => c.json(await listKeys({ ctx: c.get("ctx"), actor: c.get("actor"), ...c.req.valid("query") }), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/keys/{id}",
      tags: ["keys"],
      summary: "Revoke an API key (admin)",
      request: { params: z.object({ id: Uuid }) },
      responses: { 200: jsonResponse(ApiKey, "The revoked key"), ...problems },
    }),
    async (c) => c.json(await revokeKey({ ctx: c.get("ctx"), actor: c.get("actor"), id: c.req.valid("param").id }), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/whoami",
      tags: ["keys"],
      summary: "The caller's key, role and projects",
      responses: { 200: jsonResponse(WhoAmI, "The caller"), ...problems },
    }),
    async (c) => {
      const a = c.get("actor");
      return c.json({ keyId: a.keyId, name: a.name, role: a.role, projects: a.projects, via: a.via }, 200);
    },
  );
