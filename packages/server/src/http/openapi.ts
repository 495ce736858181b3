import { OpenAPIHono } from "@hono/zod-openapi";
import { Problem } from "@cairn/core";
import type { z } from "zod";
import type { AppEnv } from "./context.js";
import { validationHook } from "./validation.js";

/** A router whose routes validate with the core schemas and feed the OpenAPI document. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook as never });
}

export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { required: true, description, content: { "application/json": { schema } } } as const;
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: Problem } } });

/** The error responses every route may give. */
export const problems = {
  400: problem("Invalid input; `errors` names each failing field"),
  404: problem("Not found"),
  500: problem("Internal error; only the request id is disclosed"),
} as const;

export const conflict = { 409: problem("Conflict with stored data") } as const;
export const tooLarge = { 413: problem("Request body too large") } as const;
