import type { Run } from "@cairn/core";
import { Cairn } from "../client/cairn.js";
import { type CliValues, EXIT_OK, UsageError } from "./main.js";

function client(values: CliValues): Cairn {
  return new Cairn(values.url !== undefined ? { url: values.url } : {});
}

function limit(values: CliValues): number | undefined {
  if (values.limit === undefined) return undefined;
  const n = Number(values.limit);
  if (!Number.isInteger(n) || n < 1) throw new UsageError("--limit must be a positive integer");
  return n;
}

/** Renders rows as a left-aligned text table. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

function runRow(r: Run): string[] {
  const metrics = Object.values(r.metrics)
    .slice(0, 4)
    .map((m) => `${m.key}=${typeof m.last === "number" ? Number(m.last.toPrecision(5)) : m.last}`)
    .join(" ");
  return [r.id, r.name, r.status, r.startedAt, metrics];
}

export async function runsCommand(values: CliValues, rest: string[]): Promise<number> {
  const [sub, ...args] = rest;
  const c = client(values);
  if (sub === "list") {
    const project = values.project?.[0];
    if (!project || values.project!.length > 1) throw new UsageError("runs list needs one --project");
    if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"`);
    const n = limit(values);
    const page = await c.runs.search({
      project,
      ...(values.filter !== undefined ? { filter: values.filter } : {}),
      ...(values["order-by"] !== undefined ? { orderBy: values["order-by"] } : {}),
      ...(n !== undefined ? { limit: n } : {}),
    });
    if (values.json) console.log(JSON.stringify(page, null, 2));
    else console.log(table(["ID", "NAME", "STATUS", "STARTED", "METRICS"], page.runs.map(runRow)));
    return EXIT_OK;
  }
  if (sub === "get") {
    if (args.length !== 1) throw new UsageError("runs get needs exactly one run id");
    const run = await c.runs.get(args[0]!);
    console.log(JSON.stringify(run, null, 2));
    return EXIT_OK;
  }
  throw new UsageError(`unknown runs command "${sub ?? ""}" (list, get)`);
}

export async function projectsCommand(values: CliValues, rest: string[]): Promise<number> {
  const [sub, ...args] = rest;
  if (sub !== "list") throw new UsageError(`unknown projects command "${sub ?? ""}" (list)`);
  if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"`);
  const n = limit(values);
  const page = await client(values).projects.list(n !== undefined ? { limit: n } : {});
  if (values.json) console.log(JSON.stringify(page, null, 2));
  else console.log(table(["ID", "NAME", "CREATED", "DESCRIPTION"], page.projects.map((p) => [p.id, p.name, p.createdAt, p.description])));
  return EXIT_OK;
}
