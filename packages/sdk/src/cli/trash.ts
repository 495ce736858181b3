import type { ProjectDeletion, RunDeletion } from "@cairn/core";
import { Cairn } from "../client/cairn.js";
import { type CliValues, EXIT_OK, UsageError } from "./main.js";
import { table } from "./query.js";

/** The `runs` and `projects` subcommands handled here; the rest are in query.ts. */
export const TRASH_SUBCOMMANDS = new Set(["delete", "restore", "purge", "trash"]);

export const TRASH_HELP = `  cairn runs delete|restore <run-id>               move a run to the trash / bring it back
  cairn runs purge <run-id> --yes                  remove a run and its data now (maintainer)
  cairn runs trash --project <p> [--json]          soft-deleted runs and when they will be purged
  cairn projects delete|restore <name>             the same for a project and all its runs (admin)
  cairn projects purge <name> --yes                remove a project, its runs and datasets now (admin)
  cairn projects trash [--json]                    soft-deleted projects (admin)`;

export const TRASH_OPTIONS = {
  yes: { type: "boolean", short: "y" },
} as const;

function client(values: CliValues): Cairn {
  return new Cairn(values.url !== undefined ? { url: values.url } : {});
}

function one(args: string[], what: string, command: string): string {
  if (args.length !== 1) throw new UsageError(`${command} needs exactly one ${what}`);
  return args[0]!;
}

/** A purge cannot be undone, so the command line must say so explicitly. */
function confirmPurge(values: CliValues, target: string): void {
  if (!values.yes) throw new UsageError(`purge removes ${target} and its data permanently; add --yes to confirm`);
}

function describeRemoved(removed: RunDeletion["removed"] | ProjectDeletion["removed"]): string {
  return removed ? Object.entries(removed).map(([k, v]) => `${v} ${k}`).join(", ") : "";
}

/** `cairn runs delete|restore|purge <id>`, `cairn runs trash --project <p>`. */
export async function runsTrashCommand(values: CliValues, rest: string[]): Promise<number> {
  const [sub, ...args] = rest;
  const c = client(values);
  const print = (json: unknown, text: string) => console.log(values.json ? JSON.stringify(json, null, 2) : text);
  switch (sub) {
    case "delete": {
      const d = await c.runs.delete(one(args, "run id", "runs delete"));
      print(d, `deleted run ${d.id} (restorable until ${d.purgeAt}: cairn runs restore ${d.id})`);
      return EXIT_OK;
    }
    case "restore": {
      const run = await c.runs.restore(one(args, "run id", "runs restore"));
      print(run, `restored run ${run.id} (${run.name})`);
      return EXIT_OK;
    }
    case "purge": {
      const id = one(args, "run id", "runs purge");
      confirmPurge(values, `run ${id}`);
      const d = await c.runs.purge(id);
      print(d, `purged run ${d.id}: removed ${describeRemoved(d.removed)}`);
      return EXIT_OK;
    }
    default: {
      const project = values.project?.[0];
      if (!project || values.project!.length > 1) throw new UsageError("runs trash needs one --project");
      if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"`);
      const runs = [];
      for await (const r of c.runs.iterate({ project, deleted: "only", limit: 1000 })) runs.push(r);
      print({ runs }, table(["ID", "NAME", "STATUS", "DELETED", "PURGED AFTER"], runs.map((r) => [r.id, r.name, r.status, r.deletedAt ?? "", r.purgeAt ?? ""])));
      return EXIT_OK;
    }
  }
}

/** `cairn projects delete|restore|purge <name>`, `cairn projects trash`. */
export async function projectsTrashCommand(values: CliValues, rest: string[]): Promise<number> {
  const [sub, ...args] = rest;
  const c = client(values);
  const print = (json: unknown, text: string) => console.log(values.json ? JSON.stringify(json, null, 2) : text);
  switch (sub) {
    case "delete": {
      const d = await c.projects.delete(one(args, "project name", "projects delete"));
      print(d, `deleted project ${d.name} and its runs (restorable until ${d.purgeAt}: cairn projects restore ${d.name})`);
      return EXIT_OK;
    }
    case "restore": {
      const p = await c.projects.restore(one(args, "project name", "projects restore"));
      print(p, `restored project ${p.name}`);
      return EXIT_OK;
    }
    case "purge": {
      const name = one(args, "project name", "projects purge");
      confirmPurge(values, `project ${name}, all its runs and datasets`);
      const d = await c.projects.purge(name);
      print(d, `purged project ${d.name}: removed ${describeRemoved(d.removed)}`);
      return EXIT_OK;
    }
    default: {
      if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"`);
      const page = await c.projects.list({ deleted: "only", limit: 1000 });
      print(page, table(["ID", "NAME", "DELETED", "PURGED AFTER"], page.projects.map((p) => [p.id, p.name, p.deletedAt ?? "", p.purgeAt ?? ""])));
      return EXIT_OK;
    }
  }
}
