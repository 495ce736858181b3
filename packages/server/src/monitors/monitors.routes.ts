import { createRoute } from "@hono/zod-openapi";
import { Alert, AlertList, AlertListQuery, CreateMonitor, ListQuery, ModelName, Monitor, MonitorList, UpdateAlert, UpdateMonitor, WebhookDeliveryList } from "@cairn/core";
import { z } from "zod";
import { conflict, createRouter, jsonBody, jsonResponse, problems } from "../http/openapi.js";
import { ProjectParam } from "../projects/projects.routes.js";
import { getAlert, listAlerts, listDeliveries, updateAlert } from "./alerts.service.js";
import { createMonitor, deleteMonitor, getMonitor, listMonitors, updateMonitor } from "./monitors.service.js";

const MonitorParam = ProjectParam.extend({ monitorId: z.string().min(1).max(100).describe("Monitor id (UUID)") });
const AlertParam = ProjectParam.extend({ alertId: z.string().min(1).max(100).describe("Alert id (UUID)") });
const MonitorListQuery = ListQuery.extend({ model: ModelName.optional().describe("Only this model's monitors") });
const forbidden = { 403: { description: "The key's role is too low (writes need writer)", content: { "application/problem+json": { schema: z.looseObject({}) } } } } as const;

/** Monitors, alerts and webhook deliveries (issue 6). */
export const monitorsRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/projects/{project}/monitors",
      tags: ["monitors"],
      summary: "Create a monitor: a rule on a model's production windows, evaluated by the server's scheduler",
      description:
        "Writer role. An invalid rule is a 400 naming its field (`rule.max`); an unknown model a 404. Webhook targets are vetted now: a refused one " +
        "(private, loopback or link-local, not allowlisted) does not fail the request, it is listed in `validationErrors` and its deliveries are recorded as `refused`. " +
        "Secrets are write-only (`hasSecret`). Audited as `monitor.create`.",
      request: { params: ProjectParam, body: jsonBody(CreateMonitor) },
      responses: { 201: jsonResponse(Monitor, "The monitor"), ...problems, ...forbidden },
    }),
    async (c) => c.json(await createMonitor({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: c.req.valid("param").project, input: c.req.valid("json") }), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/monitors",
      tags: ["monitors"],
      summary: "The project's monitors, oldest first",
      request: { params: ProjectParam, query: MonitorListQuery },
      responses: { 200: jsonResponse(MonitorList, "Monitors"), ...problems },
    }),
    async (c) => {
      const q = c.req.valid("query");
      return c.json(await listMonitors({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: c.req.valid("param").project, model: q.model, limit: q.limit, cursor: q.cursor }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/monitors/{monitorId}",
      tags: ["monitors"],
      summary: "One monitor",
      request: { params: MonitorParam },
      responses: { 200: jsonResponse(Monitor, "The monitor"), ...problems },
    }),
    async (c) => {
      const { project, monitorId } = c.req.valid("param");
      return c.json(await getMonitor({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, id: monitorId }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/projects/{project}/monitors/{monitorId}",
      tags: ["monitors"],
      summary: "Change a monitor (the model stays); `webhooks` replaces the list, keeping the stored secret of a URL sent without one",
      description: "Writer role. Audited as `monitor.update` with the fields before and after (never the secrets).",
      request: { params: MonitorParam, body: jsonBody(UpdateMonitor) },
      responses: { 200: jsonResponse(Monitor, "The monitor"), ...problems, ...forbidden },
    }),
    async (c) => {
      const { project, monitorId } = c.req.valid("param");
      return c.json(await updateMonitor({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, id: monitorId, input: c.req.valid("json") }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/projects/{project}/monitors/{monitorId}",
      tags: ["monitors"],
      summary: "Delete a monitor with its alerts and delivery log",
      description: "Writer role. Audited as `monitor.delete` with the monitor as it was.",
      request: { params: MonitorParam },
      responses: { 200: jsonResponse(Monitor, "The deleted monitor"), ...problems, ...forbidden },
    }),
    async (c) => {
      const { project, monitorId } = c.req.valid("param");
      return c.json(await deleteMonitor({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, id: monitorId }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/monitors/{monitorId}/deliveries",
      tags: ["monitors"],
      summary: "The monitor's webhook delivery log, newest first (status, attempts, last status code and error, latency)",
      request: { params: MonitorParam, query: ListQuery },
      responses: { 200: jsonResponse(WebhookDeliveryList, "Deliveries"), ...problems },
    }),
    async (c) => {
      const { project, monitorId } = c.req.valid("param");
      const q = c.req.valid("query");
      return c.json(await listDeliveries({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, monitorId, limit: q.limit, cursor: q.cursor }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/alerts",
      tags: ["monitors"],
      summary: "Alerts, newest first, with the figures that fired them",
      request: { params: ProjectParam, query: AlertListQuery },
      responses: { 200: jsonResponse(AlertList, "Alerts"), ...problems },
    }),
    async (c) => c.json(await listAlerts({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: c.req.valid("param").project, query: c.req.valid("query") }), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/alerts/{alertId}",
      tags: ["monitors"],
      summary: "One alert",
      request: { params: AlertParam },
      responses: { 200: jsonResponse(Alert, "The alert"), ...problems },
    }),
    async (c) => {
      const { project, alertId } = c.req.valid("param");
      return c.json(await getAlert({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, id: alertId }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/projects/{project}/alerts/{alertId}",
      tags: ["monitors"],
      summary: "Acknowledge or resolve an alert (open → acknowledged → resolved; resolved is final)",
      description: "Writer role. The same status again is a no-op; going back is a 409. Audited as `alert.acknowledge` / `alert.resolve` with who and when.",
      request: { params: AlertParam, body: jsonBody(UpdateAlert) },
      responses: { 200: jsonResponse(Alert, "The alert"), ...problems, ...forbidden, ...conflict },
    }),
    async (c) => {
      const { project, alertId } = c.req.valid("param");
      return c.json(await updateAlert({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, id: alertId, input: c.req.valid("json") }), 200);
    },
  );
