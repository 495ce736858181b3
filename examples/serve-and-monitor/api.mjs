// The monitoring endpoints the SDK does not wrap (yet): monitors, alerts, webhook deliveries
// and the monitoring report, over the client's own connection (its URL, key and error types).
import { CairnError } from "@cairn/sdk";

const seg = encodeURIComponent;

async function call(client, method, path, opts = {}) {
  const res = await client.transport.raw(method, `/api/v1${path}`, opts);
  if (res.status >= 400) {
    const b = res.body ?? {};
    const fields = Array.isArray(b.errors) ? ` (${b.errors.map((e) => `${e.path}: ${e.message}`).join("; ")})` : "";
    throw new CairnError(`${method} ${path}: ${res.status} ${b.detail ?? b.title ?? ""}${fields}`);
  }
  return res.body;
}

/** The monitoring API of one project. */
export function monitoringApi(client, project) {
  const p = `/projects/${seg(project)}`;
  return {
    /** Per-window figures of a model: volume, latency, drift against the training profile, labels and performance. */
    report: (model, { from, to, window = "1h", version, method } = {}) =>
      call(client, "GET", `${p}/models/${seg(model)}/monitoring`, { searchParams: { from, to, window, version, method } }),
    createMonitor: (body) => call(client, "POST", `${p}/monitors`, { json: body }),
    monitors: () => call(client, "GET", `${p}/monitors`),
    alerts: (query = {}) => call(client, "GET", `${p}/alerts`, { searchParams: query }),
    deliveries: (monitorId) => call(client, "GET", `${p}/monitors/${seg(monitorId)}/deliveries`),
  };
}
