import { parseArgs } from "node:util";
import { CairnError } from "../client/errors.js";
import { SDK_VERSION } from "../version.js";
import { projectsCommand, runsCommand } from "./query.js";
import { AUDIT_HELP, AUDIT_OPTIONS, auditCommand } from "./audit.js";
import { keysCommand, whoamiCommand } from "./keys.js";
import { ARTIFACT_OPTIONS, ARTIFACTS_HELP, artifactsCommand } from "./artifacts.js";
import { gcCommand } from "./gc.js";
import { REPRODUCE_HELP, REPRODUCE_OPTIONS, reproduceCommand } from "./reproduce.js";
import { rerunCommand } from "./rerun.js";
import { syncCommand } from "./sync.js";
import { CHECK_HELP, CHECK_OPTIONS, checkCommand } from "./check.js";
import { PROFILE_HELP, profileCommand } from "./profile.js";
import { InputError } from "./check-input.js";
import { MODELS_HELP, MODELS_OPTIONS, modelsCommand } from "./models.js";
import { projectsTrashCommand, runsTrashCommand, TRASH_HELP, TRASH_OPTIONS, TRASH_SUBCOMMANDS } from "./trash.js";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const HELP = `cairn ${SDK_VERSION} — client-side tools for Cairn

Usage:
  cairn sync [--spool-dir <dir>] [--url <url>] [--retry-window-ms <ms>]
                                                   upload runs spooled while the server was away
  cairn runs list --project <p> [--filter <expr>] [--order-by <expr>] [--limit <n>] [--json]
  cairn runs get <run-id> [--json]
  cairn projects list [--json]
${TRASH_HELP}
  cairn keys create --name <n> --role reader|writer|maintainer|admin --project <p> [--project <q>] | --project "*"
  cairn keys list [--json]
  cairn keys revoke <key-id>
  cairn whoami [--json]
${AUDIT_HELP}
${REPRODUCE_HELP}
${ARTIFACTS_HELP}
${PROFILE_HELP}
${CHECK_HELP}
${MODELS_HELP}
  cairn --help | --version

Environment: CAIRN_URL (default http://127.0.0.1:8642), CAIRN_API_KEY, CAIRN_PROJECT, CAIRN_SPOOL_DIR (default ~/.cairn/spool).
Exit codes: 0 ok, 1 failure (or a failed check), 2 usage or input error.`;

/** Thrown for bad command lines (exit code 2). */
export class UsageError extends Error {}

export const OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
  json: { type: "boolean" },
  "spool-dir": { type: "string" },
  url: { type: "string" },
  project: { type: "string", short: "p", multiple: true },
  name: { type: "string" },
  role: { type: "string" },
  filter: { type: "string" },
  "order-by": { type: "string" },
  limit: { type: "string" },
  "retry-window-ms": { type: "string" },
  ...AUDIT_OPTIONS,
  ...REPRODUCE_OPTIONS,
  ...ARTIFACT_OPTIONS,
  ...TRASH_OPTIONS,
  ...CHECK_OPTIONS,
  ...MODELS_OPTIONS,
} as const;

export type CliValues = ReturnType<typeof parse>["values"];

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  // `cairn models show <name> --version <n>` reuses the flag.
  if (values.version && positionals[0] !== "models") {
    console.log(SDK_VERSION);
    return EXIT_OK;
  }
  if (values.help || positionals.length === 0) {
    console.log(HELP);
    return values.help ? EXIT_OK : EXIT_USAGE;
  }
  try {
    const [cmd, ...rest] = positionals;
    switch (cmd) {
      case "sync":
        return await syncCommand(values, rest);
      case "runs":
        return TRASH_SUBCOMMANDS.has(rest[0] ?? "") ? await runsTrashCommand(values, rest) : await runsCommand(values, rest);
      case "projects":
        return TRASH_SUBCOMMANDS.has(rest[0] ?? "") ? await projectsTrashCommand(values, rest) : await projectsCommand(values, rest);
      case "keys":
        return await keysCommand(values, rest);
      case "whoami":
        return await whoamiCommand(values);
      case "audit":
        return await auditCommand(values, rest);
      case "reproduce":
        return await reproduceCommand(values, rest);
      case "rerun":
        return await rerunCommand(values, rest);
      case "artifacts":
        return await artifactsCommand(values, rest);
      case "gc":
        return await gcCommand(values, rest);
      case "profile":
        return await profileCommand(values, rest);
      case "check":
        return await checkCommand(values, rest);
      case "models":
        return await modelsCommand(values, rest);
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${HELP}`);
      return EXIT_USAGE;
    }
    if (err instanceof InputError) {
      console.error(`error: ${err.message}`);
      return EXIT_USAGE;
    }
    console.error(err instanceof CairnError ? `error: ${err.message}` : err);
    return EXIT_FAILURE;
  }
}
