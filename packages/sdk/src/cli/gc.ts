import { Cairn } from "../client/cairn.js";
import { humanBytes } from "./artifacts.js";
import { EXIT_OK, UsageError } from "./main.js";
import { table } from "./query.js";

export interface GcCliValues {
  url?: string | undefined;
  json?: boolean | undefined;
  "dry-run"?: boolean | undefined;
  yes?: boolean | undefined;
  "grace-hours"?: string | undefined;
}

/** `cairn gc`: a dry run unless `--yes` is given. */
export async function gcCommand(values: GcCliValues, rest: string[]): Promise<number> {
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (values.yes && values["dry-run"]) throw new UsageError("--dry-run and --yes contradict each other");
  let graceHours: number | undefined;
  if (values["grace-hours"] !== undefined) {
    graceHours = Number(values["grace-hours"]);
    if (!Number.isFinite(graceHours) || graceHours < 0) throw new UsageError("--grace-hours must be a number ≥ 0");
  }
  const dryRun = values.yes !== true;
  const c = new Cairn({ timeoutMs: 10 * 60_000, ...(values.url !== undefined ? { url: values.url } : {}) });
  const r = await c.gc({ dryRun, ...(graceHours !== undefined ? { graceHours } : {}) });
  if (values.json) {
    console.log(JSON.stringify(r, null, 2));
    return EXIT_OK;
  }
  if (r.blobs.length > 0) console.log(table(["SHA256", "SIZE"], r.blobs.map((b) => [b.sha256, humanBytes(b.size)])));
  const what = `${r.blobs.length} unreferenced blob${r.blobs.length === 1 ? "" : "s"} (${humanBytes(r.reclaimedBytes)})`;
  console.log(dryRun ? `dry run: would remove ${what}; run again with --yes to delete` : `removed ${what}`);
  if (r.purgedRuns > 0 || r.purgedProjects > 0) console.log(`${dryRun ? "would purge" : "purged"} ${r.purgedRuns} run(s) and ${r.purgedProjects} project(s) past their retention`);
  return EXIT_OK;
}
