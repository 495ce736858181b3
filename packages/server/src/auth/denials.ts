import type { Context } from "hono";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import type { AppEnv } from "../http/context.js";
import type { HttpError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { clientAddress } from "../http/limits/index.js";

/**
 * Failed authorisation is evidence too: who tried what and was refused. Written in a
 * transaction of its own (the refused request changed nothing). Anonymous 401s carry the
 * client address; keyed denials the key.
 */
export async function recordDenial(ctx: ServerContext, c: Context<AppEnv>, err: HttpError): Promise<void> {
  const actor = c.get("actor") ?? {
    keyId: null,
    name: "anonymous",
    requestId: c.get("requestId"),
    ip: clientAddress(c),
    userAgent: c.req.header("user-agent")?.slice(0, 300),
  };
  await ctx.db.orm.transaction((tx) =>
    recordAudit(auditQueryFromOrm(tx), actor, {
      action: "auth.denied",
      subject: { kind: "route", id: `${c.req.method} ${c.req.path}`.slice(0, 500) },
      after: { status: err.status, code: err.code },
    }),
  );
}
