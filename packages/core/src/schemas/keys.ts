import { z } from "zod";
import { EpochMs, IsoDateTime, PageInfo, ProjectName, Text, Uuid } from "./common.js";

/** Roles in increasing power; each includes the ones before it. */
export const ROLES = ["reader", "writer", "maintainer", "admin"] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const roleRank = (r: Role): number => ROLES.indexOf(r);

/** A key's projects: a list of project names, or "*" for every project. */
export const KeyProjects = z.union([z.literal("*"), z.array(ProjectName).min(1, "must name at least one project").max(1000)]);
export type KeyProjects = z.infer<typeof KeyProjects>;

export const ApiKey = z
  .object({
    id: Uuid,
    name: z.string(),
    /** The first characters of the secret, to recognise the key. */
    prefix: z.string(),
    role: Role,
    projects: KeyProjects,
    createdBy: Uuid.nullable(),
    createdAt: IsoDateTime,
    lastUsedAt: IsoDateTime.nullable(),
    expiresAt: IsoDateTime.nullable(),
    revokedAt: IsoDateTime.nullable(),
  })
  .meta({ id: "ApiKey" });
export type ApiKey = z.infer<typeof ApiKey>;

export const CreateKey = z
  .object({
    name: Text(200, 1),
    role: Role,
    projects: KeyProjects,
    /** Milliseconds since the epoch; never expires when omitted. */
    expiresAt: EpochMs.optional(),
  })
  .strict()
  .meta({ id: "CreateKey" });
export type CreateKey = z.infer<typeof CreateKey>;

/** The only response that ever carries the secret. */
export const CreatedKey = ApiKey.extend({ secret: z.string() }).meta({ id: "CreatedKey" });
export type CreatedKey = z.infer<typeof CreatedKey>;

export const KeyList = PageInfo.extend({ keys: z.array(ApiKey) }).meta({ id: "KeyList" });
export type KeyList = z.infer<typeof KeyList>;

export const WhoAmI = z
  .object({
    keyId: Uuid.nullable(),
    name: z.string(),
    role: Role,
    projects: KeyProjects,
    /** "key" for Authorization headers, "session" for the UI's cookie, "open" when auth is off. */
    via: z.enum(["key", "session", "open"]),
  })
  .meta({ id: "WhoAmI" });
export type WhoAmI = z.infer<typeof WhoAmI>;
