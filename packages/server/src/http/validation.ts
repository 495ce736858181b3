import { fieldErrors } from "@cairn/core";
import type { z } from "zod";
import { ValidationError } from "./errors.js";

/**
 * The `defaultHook` of every OpenAPI route: a failed zod parse becomes a 400 naming
 * every failing field, with the part of the request as prefix for non-body input.
 */
export function validationHook(result: { success: boolean; error?: z.ZodError; target?: string }): void {
  if (result.success || !result.error) return;
  const prefix = result.target === "json" ? undefined : result.target === "param" ? "path" : result.target;
  const errors = fieldErrors(result.error, prefix);
  throw new ValidationError(`invalid request: ${errors.map((e) => `${e.path}: ${e.message}`).slice(0, 3).join("; ")}${errors.length > 3 ? "; …" : ""}`, errors);
}
