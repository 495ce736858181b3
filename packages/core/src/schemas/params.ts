import { z } from "zod";
import { Key, Text } from "./common.js";

export const MAX_PARAM_STRING_LENGTH = 6000;

/** Params are typed: the type is kept, so `lr = 0.1` and `lr = "0.1"` differ. */
export const ParamValue = z.union([
  Text(MAX_PARAM_STRING_LENGTH),
  z.number().refine(Number.isFinite, "must be a finite number"),
  z.boolean(),
]);
export type ParamValue = z.infer<typeof ParamValue>;

export const Params = z.record(Key, ParamValue).meta({ id: "Params" });
export type Params = z.infer<typeof Params>;

export const LogParams = z
  .object({
    params: Params.refine((p) => Object.keys(p).length <= 1000, "at most 1000 params per request"),
  })
  .strict()
  .meta({ id: "LogParams" });
export type LogParams = z.infer<typeof LogParams>;

export const ParamsResponse = z.object({ params: Params }).meta({ id: "ParamsResponse" });
export type ParamsResponse = z.infer<typeof ParamsResponse>;
