import { roleRank, type KeyProjects, type Role } from "@cairn/core";
import { ForbiddenError, HiddenNotFoundError } from "../http/errors.js";

/** Who is calling: resolved once per request by the authenticate middleware. */
export interface Actor {
  keyId: string | null;
  name: string;
  role: Role;
  projects: KeyProjects;
  via: "key" | "session" | "open";
  requestId?: string;
  ip?: string;
  userAgent?: string;
}

export function hasProject(actor: Actor, projectName: string): boolean {
  return actor.projects === "*" || actor.projects.includes(projectName);
}

/**
 * The one authorisation check. A caller without any role on the project gets the same
 * 404 as for an object that does not exist, so ids of other projects leak nothing;
 * a caller with too low a role on it gets 403.
 */
export function authorize(actor: Actor, project: { name: string }, needed: Role, what: string, id: string): void {
  if (!hasProject(actor, project.name)) throw new HiddenNotFoundError(what, id);
  if (roleRank(actor.role) < roleRank(needed)) {
    throw new ForbiddenError(`this needs the ${needed} role on project ${JSON.stringify(project.name)}; the key has ${actor.role}`);
  }
}

/** For actions on no particular project (keys): the role alone, over the caller's scope. */
export function requireRole(actor: Actor, needed: Role): void {
  if (roleRank(actor.role) < roleRank(needed)) throw new ForbiddenError(`this needs the ${needed} role; the key has ${actor.role}`);
}
