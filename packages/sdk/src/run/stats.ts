/** Counters of a run since `init()`, from `run.stats()`. */
export interface RunStats {
  /** Points accepted by `log()`. */
  logged: number;
  /** Points acknowledged by the server. */
  sent: number;
  /** Points written to the disk spool (they may have been uploaded since). */
  spooled: number;
  /** Points dropped: invalid keys/values, rejected by the server (4xx), or over the memory cap without a spool. */
  dropped: number;
  /** Request retries. */
  retries: number;
}
