#!/usr/bin/env node
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startServer } from "./server.js";

/** `npm start` / the Docker image: parse config, start, drain on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`cairn: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger(config.logLevel);
  const server = await startServer(config, { logger: log });
  const lines = [
    `Cairn is running at ${server.url}`,
    `API reference: ${server.url}/docs`,
    `Database: ${config.databaseUrl ? "PostgreSQL" : `embedded (${config.dataDir})`}`,
  ];
  if (!config.auth) lines.push("Auth is OFF (CAIRN_AUTH=off): every local caller is an admin.");
  if (server.bootstrap && !server.bootstrap.file) lines.push("Created the first admin key from CAIRN_BOOTSTRAP_TOKEN.");
  if (server.bootstrap?.file) {
    // The one place the first admin key is shown: the banner, on the terminal (stderr), never in the JSON logs.
    lines.push(
      "",
      `Admin API key (shown once; also saved to ${server.bootstrap.file}):`,
      `  ${server.bootstrap.secret}`,
      `Use it with: export CAIRN_API_KEY=${server.bootstrap.secret}`,
      `Log in to the UI: ${server.url}/login?token=${encodeURIComponent(server.bootstrap.secret)}`,
    );
  }
  process.stderr.write(`\n${lines.map((l) => (l ? `  ${l}` : "")).join("\n")}\n\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    server.close().then(
      () => {
        log.flush();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        log.flush();
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  process.stderr.write(`cairn: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
