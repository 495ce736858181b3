import { once } from "node:events";
import { AuditVerifyResult } from "@cairn/core";
import { Cairn } from "../client/cairn.js";
import { CairnNetworkError } from "../client/errors.js";
import { errorFromResponse, errorMessage } from "../client/http.js";
import { readEnv, stripSlash } from "../config.js";
import { EXIT_FAILURE, EXIT_OK, UsageError } from "./main.js";

/** Options of `cairn audit` to add to the CLI's option table. */
export const AUDIT_OPTIONS = {
  since: { type: "string" },
  until: { type: "string" },
} as const;

export const AUDIT_HELP = `  cairn audit verify [--json]                      check the audit log's hash chain; exit 1 if broken
  cairn audit export [--since <iso>] [--until <iso>] [--project <p>] > audit.jsonl
                                                   stream audit events as JSON Lines (oldest first)`;

/** The parsed options this command reads (a subset of the CLI's). */
export interface AuditCliValues {
  url?: string | undefined;
  json?: boolean | undefined;
  project?: string | string[] | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

/** `cairn audit verify|export`; `out` is where an export goes (stdout unless a test says otherwise). */
export async function auditCommand(values: AuditCliValues, rest: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const [sub, ...args] = rest;
  if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"`);
  if (sub === "verify") return verify(values);
  if (sub === "export") return exportEvents(values, out);
  throw new UsageError(`unknown audit command "${sub ?? ""}" (verify, export)`);
}

async function verify(values: AuditCliValues): Promise<number> {
  // The server walks the whole chain before it answers: give it minutes, not the usual 30 s.
  const client = new Cairn({ timeoutMs: 10 * 60_000, ...(values.url !== undefined ? { url: values.url } : {}) });
  const r = await client.transport.call("GET", "/api/v1/audit/verify", AuditVerifyResult);
  if (values.json) console.log(JSON.stringify(r, null, 2));
  else if (r.ok) console.log(`audit chain ok: ${r.checked} events verified${r.head ? `, head #${r.head.seq} ${r.head.hash}` : ""}`);
  else {
    const b = r.firstBroken!;
    console.log(`audit chain BROKEN at event #${b.seq} (${b.id}): ${b.reason}\n${r.checked} events checked`);
  }
  return r.ok ? EXIT_OK : EXIT_FAILURE;
}

function timeOption(name: string, v: string | undefined): string | undefined {
  if (v !== undefined && !Number.isFinite(Date.parse(v))) throw new UsageError(`--${name} must be an ISO 8601 date-time, e.g. 2030-01-31T00:00:00Z`);
  return v;
}

/**
 * Copies the response body to `out` chunk by chunk, waiting for `out` to drain, so an export
 * of any size runs in constant memory. Uses fetch directly: the JSON transport reads whole bodies.
 */
async function exportEvents(values: AuditCliValues, out: NodeJS.WritableStream): Promise<number> {
  const projects = typeof values.project === "string" ? [values.project] : (values.project ?? []);
  if (projects.length > 1) throw new UsageError("audit export takes at most one --project");
  const query = new URLSearchParams();
  const since = timeOption("since", values.since);
  const until = timeOption("until", values.until);
  if (since !== undefined) query.set("since", since);
  if (until !== undefined) query.set("until", until);
  if (projects[0] !== undefined) query.set("project", projects[0]);

  const env = readEnv();
  const base = stripSlash(values.url ?? env.url);
  const headers: Record<string, string> = { accept: "application/x-ndjson, application/problem+json" };
  if (env.apiKey) headers.authorization = `Bearer ${env.apiKey}`;
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/audit/export${query.size > 0 ? `?${query}` : ""}`, { headers });
  } catch (err) {
    throw new CairnNetworkError(`cannot reach ${base}: ${errorMessage(err)}`, { cause: err });
  }
  if (res.status >= 400 || !res.body) {
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    throw errorFromResponse({ status: res.status, headers: res.headers, body });
  }

  const reader = res.body.getReader();
  let lines = 0;
  let last = 0x0a;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const byte of value) if (byte === 0x0a) lines++;
      if (value.length > 0) last = value[value.length - 1]!;
      if (!out.write(value)) await once(out, "drain");
    }
  } catch (err) {
    // The server aborts the stream when it fails mid-export; say so rather than exit 0 on a partial file.
    console.error(`error: the export was cut off after ${lines} events: ${errorMessage(err)}`);
    return EXIT_FAILURE;
  }
  if (last !== 0x0a) {
    console.error(`error: the export ended in the middle of an event after ${lines} events`);
    return EXIT_FAILURE;
  }
  console.error(`exported ${lines} audit events`);
  return EXIT_OK;
}
