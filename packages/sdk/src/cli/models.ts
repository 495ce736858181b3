import { AliasName, type CheckResult, type GateEvaluation, type ModelAlias, ModelName, type ModelVersion, type RegisteredModel } from "@cairn/core";
import { Cairn } from "../client/cairn.js";
import { ValidationError } from "../client/errors.js";
import { GateRefusedError } from "../models/errors.js";
import { EVALUATION_HEADERS, evaluationRows, whyText } from "../models/gate-text.js";
import { type CliValues, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from "./main.js";
import { table } from "./query.js";

export const MODELS_HELP = `  cairn models ls [--project <p>] [--json]         registered models: latest version, aliases, last update
  cairn models show <name> [--version <n>] [--project <p>] [--json]
                                                   a model's versions with metrics and aliases, or one version
                                                   with its checks and alias history
  cairn models promote <name> <version> <alias> [--reason <text>] [--force] [--project <p>] [--json]
                                                   move the alias through the gate: exit 0 promoted, 1 refused
  cairn models evaluate <name> <version> <alias> [--project <p>] [--json]
                                                   dry run of the gate: exit 0 would pass, 1 would be refused`;

export const MODELS_OPTIONS = {
  reason: { type: "string" },
  force: { type: "boolean" },
} as const;

const fmt = (x: number) => String(Number(x.toPrecision(4)));

function client(values: CliValues): Cairn {
  const project = values.project;
  if (project !== undefined && project.length > 1) throw new UsageError("models commands take one --project");
  return new Cairn({ ...(values.url !== undefined ? { url: values.url } : {}), ...(project?.[0] !== undefined ? { project: project[0] } : {}) });
}

function modelName(s: string | undefined, command: string): string {
  if (s === undefined) throw new UsageError(`${command} needs a model name`);
  const r = ModelName.safeParse(s);
  if (!r.success) throw new UsageError(`invalid model name ${JSON.stringify(s)}: ${r.error.issues[0]!.message}`);
  return s;
}

function versionNumber(s: string | undefined, command: string): number {
  if (s === undefined) throw new UsageError(`${command} needs a version number`);
  const n = Number(s.replace(/^v/, ""));
  if (!/^v?[1-9][0-9]{0,9}$/.test(s) || !Number.isSafeInteger(n)) throw new UsageError(`invalid version ${JSON.stringify(s)}: must be a number such as 3`);
  return n;
}

function aliasName(s: string | undefined, command: string): string {
  if (s === undefined) throw new UsageError(`${command} needs an alias (production, staging, …)`);
  const r = AliasName.safeParse(s);
  if (!r.success) throw new UsageError(`invalid alias ${JSON.stringify(s)}: ${r.error.issues[0]!.message}`);
  return s;
}

const aliasesText = (aliases: Record<string, number>) =>
  Object.entries(aliases)
    .map(([a, v]) => `${a}=v${v}`)
    .join(", ");

const metricsText = (metrics: Record<string, number>, max = 4) =>
  Object.entries(metrics)
    .slice(0, max)
    .map(([k, v]) => `${k}=${fmt(v)}`)
    .join(" ");

/** `cairn models ls|show|promote|evaluate`. A request the server rejects as invalid is an input error (exit 2). */
export async function modelsCommand(values: CliValues, rest: string[]): Promise<number> {
  const [sub, ...args] = rest;
  try {
    if (sub === "ls" || sub === "list") return await listModels(values, args);
    if (sub === "show") return await showModel(values, args);
    if (sub === "promote") return await promote(values, args);
    if (sub === "evaluate") return await evaluate(values, args);
  } catch (err) {
    if (err instanceof ValidationError) {
      console.error(`error: ${err.message}`);
      return EXIT_USAGE;
    }
    throw err;
  }
  throw new UsageError(`unknown models command "${sub ?? ""}" (ls, show, promote, evaluate)`);
}

async function listModels(values: CliValues, args: string[]): Promise<number> {
  if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"`);
  const models: RegisteredModel[] = [];
  for await (const m of client(values).models.iterate()) models.push(m);
  if (values.json) console.log(JSON.stringify({ models }, null, 2));
  else if (models.length === 0) console.log("no registered models");
  else console.log(table(["NAME", "LATEST", "ALIASES", "UPDATED"], models.map((m) => [m.name, m.latestVersion === null ? "-" : `v${m.latestVersion}`, aliasesText(m.aliases) || "-", m.updatedAt])));
  return EXIT_OK;
}

async function showModel(values: CliValues, args: string[]): Promise<number> {
  // `--version` is also the CLI's own flag (a boolean), so the number arrives as a positional.
  if (args.length > (values.version ? 2 : 1)) throw new UsageError(`unexpected argument "${args[values.version ? 2 : 1]}"`);
  const name = modelName(args[0], "models show");
  if (values.version && args[1] === undefined) throw new UsageError("--version needs a version number");
  const c = client(values);
  if (args[1] !== undefined) return showVersion(values, c, name, versionNumber(args[1], "models show --version"));
  const model = await c.models.get(name);
  const versions: ModelVersion[] = [];
  for await (const v of c.models.iterateVersions(name)) versions.push(v);
  if (values.json) {
    console.log(JSON.stringify({ model, versions }, null, 2));
    return EXIT_OK;
  }
  console.log(`${model.name}${model.description ? ` — ${model.description}` : ""}`);
  console.log(`latest: ${model.latestVersion === null ? "none" : `v${model.latestVersion}`}   aliases: ${aliasesText(model.aliases) || "none"}\n`);
  if (versions.length === 0) console.log("no versions");
  else {
    const rows = versions.map((v) => [`v${v.version}`, v.createdAt, v.aliases.join(", ") || "-", v.archived ? "archived" : "", metricsText(v.metrics), v.runId ?? "(purged)"]);
    console.log(table(["VERSION", "CREATED", "ALIASES", "STATE", "METRICS", "RUN"], rows));
  }
  return EXIT_OK;
}

async function showVersion(values: CliValues, c: Cairn, name: string, n: number): Promise<number> {
  const version = await c.models.version(name, n);
  const checks: CheckResult[] = [];
  for (let cursor: string | undefined; ; ) {
    const page = await c.models.checks(name, n, cursor ? { cursor } : {});
    checks.push(...page.checks);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  const aliases = await c.models.aliases(name);
  if (values.json) {
    console.log(JSON.stringify({ version, checks, aliases }, null, 2));
    return EXIT_OK;
  }
  console.log(`${version.modelName} v${version.version}${version.archived ? " (archived)" : ""}${version.aliases.length ? `   aliases: ${version.aliases.join(", ")}` : ""}`);
  console.log(`digest: ${version.digest}\nrun: ${version.runId ?? "(purged)"}   artifact: ${version.artifactPath} (${version.files.length} file${version.files.length === 1 ? "" : "s"})`);
  if (version.framework) console.log(`framework: ${version.framework}`);
  if (version.datasets.length) console.log(`datasets: ${version.datasets.map((d) => `${d.datasetName} v${d.version} (${d.role})`).join(", ")}`);
  if (Object.keys(version.metrics).length) console.log(`\n${table(["METRIC", "VALUE"], Object.entries(version.metrics).map(([k, v]) => [k, fmt(v)]))}`);
  console.log(checks.length ? `\n${table(["CHECK", "NAME", "STATUS", "SOURCE", "CREATED", "ID"], checks.map((k) => [k.kind, k.name ?? "-", k.status, k.source, k.createdAt, k.id]))}` : "\nno checks");
  const moves = aliases.flatMap((a: ModelAlias) => a.history.filter((m) => m.toVersion === n || m.fromVersion === n));
  if (moves.length) {
    const rows = moves.map((m) => [m.alias, m.fromVersion === null ? "-" : `v${m.fromVersion}`, m.toVersion === null ? "(removed)" : `v${m.toVersion}`, m.actor, m.movedAt, `${m.forced ? "FORCED " : ""}${m.reason ?? ""}`]);
    console.log(`\n${table(["ALIAS", "FROM", "TO", "BY", "WHEN", "REASON"], rows)}`);
  }
  return EXIT_OK;
}

function printEvaluation(e: GateEvaluation): void {
  if (e.rules.length === 0) {
    console.log(`no policy rules for ${e.alias}`);
    return;
  }
  console.log(table(EVALUATION_HEADERS, evaluationRows(e)));
  const whys = e.rules.filter((o) => !o.passed && whyText(o) !== "").map((o) => `rule ${o.index + 1}: ${whyText(o)}`);
  if (whys.length) console.log(`\n${whys.join("\n")}`);
}

async function promote(values: CliValues, args: string[]): Promise<number> {
  if (args.length > 3) throw new UsageError(`unexpected argument "${args[3]}"`);
  const name = modelName(args[0], "models promote");
  const version = versionNumber(args[1], "models promote");
  const alias = aliasName(args[2], "models promote");
  try {
    const r = await client(values).models.promote(name, version, alias, {
      ...(values.reason !== undefined ? { reason: values.reason } : {}),
      ...(values.force ? { force: true } : {}),
    });
    if (values.json) console.log(JSON.stringify({ promoted: true, ...r }, null, 2));
    else {
      const from = r.evaluation.currentVersion;
      console.log(`promoted ${name} v${version} to ${alias}${from !== null && from !== version ? ` (was v${from})` : ""}${r.evaluation.forced ? ", FORCED past failing rules (recorded as an override)" : ""}\n`);
      printEvaluation(r.evaluation);
      console.log(`\nevaluation ${r.evaluation.id}`);
    }
    return EXIT_OK;
  } catch (err) {
    if (!(err instanceof GateRefusedError)) throw err;
    if (values.json) console.log(JSON.stringify({ promoted: false, evaluation: err.evaluation }, null, 2));
    else {
      const failed = err.evaluation.rules.filter((o) => !o.passed).length;
      console.log(`refused: ${name} v${version} stays off ${alias} (${failed} of ${err.evaluation.rules.length} rules failed)\n`);
      printEvaluation(err.evaluation);
      console.log(`\nevaluation ${err.evaluation.id}`);
    }
    return EXIT_FAILURE;
  }
}

async function evaluate(values: CliValues, args: string[]): Promise<number> {
  if (args.length > 3) throw new UsageError(`unexpected argument "${args[3]}"`);
  const name = modelName(args[0], "models evaluate");
  const version = versionNumber(args[1], "models evaluate");
  const alias = aliasName(args[2], "models evaluate");
  const e = await client(values).models.evaluate(name, version, alias);
  if (values.json) console.log(JSON.stringify(e, null, 2));
  else {
    console.log(`${name} v${version} → ${alias}: ${e.passed ? "would be promoted" : "would be refused"} (dry run)\n`);
    printEvaluation(e);
  }
  return e.passed ? EXIT_OK : EXIT_FAILURE;
}
