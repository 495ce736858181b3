import { readEnv } from "../config.js";
import { syncSpool } from "../spool/sync.js";
import { type CliValues, EXIT_FAILURE, EXIT_OK, UsageError } from "./main.js";

export async function syncCommand(values: CliValues, rest: string[]): Promise<number> {
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const env = readEnv();
  const spoolDir = values["spool-dir"] ?? env.spoolDir;
  if (!spoolDir) throw new UsageError("no spool directory: pass --spool-dir or set CAIRN_SPOOL_DIR");
  const retryWindowMs = values["retry-window-ms"] === undefined ? undefined : Number(values["retry-window-ms"]);
  if (retryWindowMs !== undefined && !(retryWindowMs >= 0)) throw new UsageError("--retry-window-ms must be a number >= 0");
  const s = await syncSpool({
    ...(retryWindowMs !== undefined ? { retryWindowMs } : {}),
    spoolDir,
    ...(values.url !== undefined ? { url: values.url } : {}),
    ...(env.apiKey !== undefined ? { apiKey: env.apiKey } : {}),
    log: (line) => console.log(line),
  });
  if (values.json) console.log(JSON.stringify(s));
  else if (s.runs === 0) console.log(`nothing to sync in ${spoolDir}`);
  else {
    console.log(
      `${s.synced} of ${s.runs} runs synced (${s.ops} ops, ${s.points} points)` +
        (s.failed ? `, ${s.failed} left in the spool (server unreachable)` : "") +
        (s.skipped ? `, ${s.skipped} skipped (still running)` : "") +
        (s.rejected ? `, ${s.rejected} ops rejected by the server` : ""),
    );
  }
  return s.failed > 0 ? EXIT_FAILURE : EXIT_OK;
}
