import pino, { type Logger } from "pino";
import type { Config } from "./config.js";

/** JSON lines on stdout; secrets never go in (the auth issue adds redaction paths). */
export function createLogger(level: Config["logLevel"], destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "cairn" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ["req.headers.authorization", "req.headers.cookie"], censor: "[redacted]" },
    },
    destination ?? pino.destination({ sync: false }),
  );
}
