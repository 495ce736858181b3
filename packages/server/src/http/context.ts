import type { Logger } from "pino";
import type { Actor } from "../auth/actor.js";
import type { ServerContext } from "../server-context.js";

/** Per-request variables every handler can read from `c.get(...)`. */
export type AppEnv = {
  Variables: {
    requestId: string;
    log: Logger;
    ctx: ServerContext;
    /** Set by the authenticate middleware on every /api/v1 request. */
    actor: Actor;
  };
};
