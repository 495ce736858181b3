#!/usr/bin/env node
import { main } from "./cli/main.js";
import { keepAlive } from "./run/timers.js";

// The SDK's own timers are unref'd (it never keeps a process alive by itself); the CLI
// wants the opposite: stay up until the command is done, even while waiting to retry.
const release = keepAlive();
main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  )
  .finally(release);
