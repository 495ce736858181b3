import type { Logger } from "pino";
import type { ServerContext } from "../server-context.js";

/** Per-request variables every handler can read from `c.get(...)`. */
export type AppEnv = {
  Variables: {
    requestId: string;
    log: Logger;
    ctx: ServerContext;
  };
};
