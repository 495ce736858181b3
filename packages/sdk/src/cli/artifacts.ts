import type { Artifact } from "@cairn/core";
import cliProgress from "cli-progress";
import { loadNodeArtifacts } from "../artifacts/client.js";
import type { TransferProgress } from "../artifacts/types.js";
import { Cairn } from "../client/cairn.js";
import { EXIT_OK, UsageError } from "./main.js";
import { table } from "./query.js";

/** Options of `cairn artifacts` and `cairn gc`, added to the CLI's option table. */
export const ARTIFACT_OPTIONS = {
  path: { type: "string" },
  prefix: { type: "string" },
  concurrency: { type: "string" },
  recursive: { type: "boolean", short: "r" },
  overwrite: { type: "boolean" },
  "dry-run": { type: "boolean" },
  yes: { type: "boolean", short: "y" },
  "grace-hours": { type: "string" },
} as const;

export const ARTIFACTS_HELP = `  cairn artifacts upload <run-id> <file|dir> [--path <p> | --prefix <p>] [--concurrency <n>] [--overwrite] [--json]
  cairn artifacts download <run-id> <path|folder/> [dest] [--concurrency <n>] [--json]
  cairn artifacts ls <run-id> [prefix] [--recursive] [--json]
  cairn gc [--dry-run] [--yes] [--grace-hours <n>] [--json]
                                                   list (default) or, with --yes, delete unreferenced blobs (admin)`;

export interface ArtifactCliValues {
  url?: string | undefined;
  json?: boolean | undefined;
  path?: string | undefined;
  prefix?: string | undefined;
  concurrency?: string | undefined;
  recursive?: boolean | undefined;
  overwrite?: boolean | undefined;
}

/** Transfers at least this large get a progress bar (when stderr is a terminal). */
export const PROGRESS_MIN_BYTES = 8 * 2 ** 20;

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];
/** 1536 → "1.5 KiB". */
export function humanBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${UNITS[u]}`;
}

function client(values: { url?: string | undefined }): Cairn {
  return new Cairn(values.url !== undefined ? { url: values.url } : {});
}

function concurrency(values: ArtifactCliValues): number | undefined {
  if (values.concurrency === undefined) return undefined;
  const n = Number(values.concurrency);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError("--concurrency must be an integer from 1 to 64");
  return n;
}

/** Aggregates per-file progress into one bar with bytes/s; silent unless stderr is a TTY and the transfer is large. */
class ProgressBar {
  private readonly files = new Map<string, TransferProgress>();
  private bar: cliProgress.SingleBar | undefined;
  private readonly started = Date.now();
  /** Bytes that actually crossed the network (linked files excluded). */
  moved = 0;

  constructor(
    private readonly label: string,
    private knownTotal = 0,
    private readonly enabled = process.stderr.isTTY === true,
  ) {}

  update = (p: TransferProgress): void => {
    const before = this.files.get(p.path);
    this.files.set(p.path, p);
    if (!p.linked) this.moved += Math.max(0, p.bytes - (before && !before.linked && before.bytes <= p.bytes ? before.bytes : 0));
    let bytes = 0;
    let total = 0;
    for (const f of this.files.values()) {
      bytes += f.bytes;
      total += f.total;
    }
    total = Math.max(total, this.knownTotal);
    if (!this.bar && this.enabled && total >= PROGRESS_MIN_BYTES) {
      this.bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: `${this.label} {bar} {percentage}% | {done} / {size} | {speed}/s | ETA {eta_formatted}`, hideCursor: true, fps: 5 },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, this.payload(0, total));
    }
    if (this.bar) {
      this.bar.setTotal(total);
      this.bar.update(bytes, this.payload(bytes, total));
    }
  };

  private payload(bytes: number, total: number) {
    const secs = Math.max(0.001, (Date.now() - this.started) / 1000);
    return { done: humanBytes(bytes), size: humanBytes(total), speed: humanBytes(Math.round(this.moved / secs)) };
  }

  stop(): void {
    this.bar?.stop();
  }
}

export async function artifactsCommand(values: ArtifactCliValues, rest: string[]): Promise<number> {
  const [sub, ...args] = rest;
  if (sub === "upload") return upload(values, args);
  if (sub === "download") return download(values, args);
  if (sub === "ls" || sub === "list") return list(values, args);
  throw new UsageError(`unknown artifacts command "${sub ?? ""}" (upload, download, ls)`);
}

async function upload(values: ArtifactCliValues, args: string[]): Promise<number> {
  if (args.length !== 2) throw new UsageError("artifacts upload needs <run-id> and <file|dir>");
  if (values.path !== undefined && values.prefix !== undefined) throw new UsageError("use --path (one file) or --prefix (a folder), not both");
  const [runId, local] = args as [string, string];
  const c = client(values);
  const node = await loadNodeArtifacts();
  const opts = { ...(values.path !== undefined ? { path: values.path } : {}), ...(values.prefix !== undefined ? { prefix: values.prefix } : {}) };
  const files = await node.collectFiles(local, opts);
  if (files.length === 0) {
    console.error(`nothing to upload in ${local}`);
    return EXIT_OK;
  }
  const total = files.reduce((s, f) => s + f.size, 0);
  const bar = new ProgressBar("upload", total);
  const t0 = Date.now();
  let artifacts: Artifact[];
  try {
    const n = concurrency(values);
    artifacts = await c.artifacts.uploadFiles(runId, files, {
      onProgress: bar.update,
      ...(n !== undefined ? { concurrency: n } : {}),
      ...(values.overwrite ? { overwrite: true } : {}),
    });
  } finally {
    bar.stop();
  }
  if (values.json) console.log(JSON.stringify(artifacts, null, 2));
  else {
    const secs = (Date.now() - t0) / 1000;
    for (const a of artifacts) console.log(`${a.path}  ${humanBytes(a.size)}  ${a.sha256.slice(0, 12)}`);
    console.log(
      `uploaded ${artifacts.length} file${artifacts.length === 1 ? "" : "s"} (${humanBytes(total)}) to run ${runId}; sent ${humanBytes(bar.moved)}` +
        `${bar.moved < total ? " (the server already had the rest)" : ""} in ${secs.toFixed(1)} s`,
    );
  }
  return EXIT_OK;
}

async function download(values: ArtifactCliValues, args: string[]): Promise<number> {
  if (args.length < 2 || args.length > 3) throw new UsageError("artifacts download needs <run-id> <path> [dest]");
  const [runId, path, dest] = args as [string, string, string | undefined];
  const bar = new ProgressBar("download");
  const t0 = Date.now();
  const n = concurrency(values);
  let result: Awaited<ReturnType<Cairn["artifacts"]["download"]>>;
  try {
    result = await client(values).artifacts.download(runId, path, dest, { onProgress: bar.update, ...(n !== undefined ? { concurrency: n } : {}) });
  } finally {
    bar.stop();
  }
  if (values.json) console.log(JSON.stringify(result.files, null, 2));
  else {
    const total = result.files.reduce((s, f) => s + f.size, 0);
    for (const f of result.files) console.log(`${f.localPath}  ${humanBytes(f.size)}`);
    console.log(`downloaded ${result.files.length} file${result.files.length === 1 ? "" : "s"} (${humanBytes(total)}, sha256 verified) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return EXIT_OK;
}

async function list(values: ArtifactCliValues, args: string[]): Promise<number> {
  if (args.length < 1 || args.length > 2) throw new UsageError("artifacts ls needs <run-id> [prefix]");
  const [runId, prefixArg] = args as [string, string | undefined];
  const prefix = prefixArg ?? values.prefix;
  const res = await client(values).artifacts.listAll(runId, { ...(prefix !== undefined ? { prefix } : {}), recursive: values.recursive === true });
  if (values.json) {
    console.log(JSON.stringify(res, null, 2));
    return EXIT_OK;
  }
  const rows = [
    ...res.folders.map((f) => [f.path, humanBytes(f.size), `${f.count} file${f.count === 1 ? "" : "s"}`, ""]),
    ...res.artifacts.map((a) => [a.path, humanBytes(a.size), a.mediaType, a.createdAt]),
  ];
  if (rows.length === 0) console.log(`no artifacts${prefix ? ` below ${prefix}` : ""}`);
  else console.log(table(["PATH", "SIZE", "TYPE", "CREATED"], rows));
  return EXIT_OK;
}
