import { createRoute } from "@hono/zod-openapi";
import { AuditEvent, AuditExportQuery, AuditList, AuditListQuery, AuditVerifyResult } from "@cairn/core";
import { requireRole } from "../auth/actor.js";
import { ForbiddenError } from "../http/errors.js";
import { createRouter, jsonResponse, problems } from "../http/openapi.js";
import { exportAudit, listAudit, verifyAudit } from "./audit.service.js";
import { ndjsonStream } from "./ndjson.js";

/** Read-only by design: the audit log has no route that updates or deletes an event. */
export const auditRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/audit",
      tags: ["audit"],
      summary: "List audit events, newest first",
      description: "Filters combine with AND. `from` is inclusive and `to` exclusive; `project` is a name or an id.",
      request: { query: AuditListQuery },
      responses: { 200: jsonResponse(AuditList, "A page of audit events"), ...problems },
    }),
    async (c) => c.json(await listAudit({ ctx: c.get("ctx"), projectIds: c.get("actor").projects, ...c.req.valid("query") }), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/audit/verify",
      tags: ["audit"],
      summary: "Walk the hash chain and report the first broken event",
      responses: { 200: jsonResponse(AuditVerifyResult, "The verification result (ok: false names the first broken event)"), ...problems },
    }),
    async (c) => {
      // The chain spans every project, so only an all-projects admin may walk it.
      const actor = c.get("actor");
      if (actor.projects !== "*") throw new ForbiddenError("verifying the audit chain needs an admin key on all projects");
      requireRole(actor, "admin");
      return c.json(await verifyAudit({ ctx: c.get("ctx") }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/audit/export",
      tags: ["audit"],
      summary: "Export audit events as JSON Lines, oldest first, streamed",
      description:
        "One AuditEvent per line, including `seq`, `prevHash` and `hash`. An export without filters re-verifies offline " +
        "from the genesis hash; a `since` export is a tail whose first event links to a hash not in the file.",
      request: { query: AuditExportQuery },
      responses: {
        200: { description: "One AuditEvent per line", content: { "application/x-ndjson": { schema: AuditEvent } } },
        ...problems,
      },
    }),
    async (c) => {
      const events = await exportAudit({ ctx: c.get("ctx"), projectIds: c.get("actor").projects, ...c.req.valid("query") });
      const log = c.get("log");
      return c.body(ndjsonStream(events, (err) => log.error({ err }, "audit export failed mid-stream")), 200, {
        "content-type": "application/x-ndjson; charset=utf-8",
        "content-disposition": 'attachment; filename="audit.jsonl"',
        "cache-control": "no-store",
      }) as never;
    },
  );
