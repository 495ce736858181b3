import { KeyProjects, Role } from "@cairn/core";
import { Cairn } from "../client/cairn.js";
import { type CliValues, EXIT_OK, UsageError } from "./main.js";
import { table } from "./query.js";

function client(values: CliValues): Cairn {
  return new Cairn(values.url !== undefined ? { url: values.url } : {});
}

/** `cairn keys create --role writer --project p [--project q] --name ci`, `keys list`, `keys revoke <id>`. */
export async function keysCommand(values: CliValues, rest: string[]): Promise<number> {
  const [sub, ...args] = rest;
  const c = client(values);
  if (sub === "create") {
    if (!values.name) throw new UsageError("keys create needs --name");
    const role = Role.safeParse(values.role);
    if (!role.success) throw new UsageError(`keys create needs --role ${Role.options.join("|")}`);
    const list = values.project ?? [];
    const projects = KeyProjects.safeParse(list.length === 1 && list[0] === "*" ? "*" : list);
    if (!projects.success) throw new UsageError('keys create needs --project <name> (repeatable) or --project "*"');
    const key = await c.keys.create({ name: values.name, role: role.data, projects: projects.data });
    if (values.json) console.log(JSON.stringify(key, null, 2));
    else {
      console.log(`created key ${key.id} (${key.role} on ${key.projects === "*" ? "all projects" : key.projects.join(", ")})`);
      console.log("secret (shown once, store it now):");
      console.log(key.secret);
    }
    return EXIT_OK;
  }
  if (sub === "list") {
    const page = await c.keys.list({ limit: 1000 });
    if (values.json) console.log(JSON.stringify(page, null, 2));
    else {
      const rows = page.keys.map((k) => [k.id, k.name, k.prefix + "…", k.role, k.projects === "*" ? "*" : k.projects.join(","), k.lastUsedAt ?? "-", k.revokedAt ? "revoked" : "active"]);
      console.log(table(["ID", "NAME", "PREFIX", "ROLE", "PROJECTS", "LAST USED", "STATE"], rows));
    }
    return EXIT_OK;
  }
  if (sub === "revoke") {
    if (args.length !== 1) throw new UsageError("keys revoke needs exactly one key id");
    const key = await c.keys.revoke(args[0]!);
    console.log(values.json ? JSON.stringify(key, null, 2) : `revoked ${key.id} (${key.name})`);
    return EXIT_OK;
  }
  throw new UsageError(`unknown keys command "${sub ?? ""}" (create, list, revoke)`);
}

export async function whoamiCommand(values: CliValues): Promise<number> {
  const me = await client(values).whoami();
  if (values.json) console.log(JSON.stringify(me, null, 2));
  else console.log(`${me.name} (${me.keyId ?? "no key"}): ${me.role} on ${me.projects === "*" ? "all projects" : me.projects.join(", ")}`);
  return EXIT_OK;
}
