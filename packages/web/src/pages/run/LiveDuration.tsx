import type { Run } from "@cairn/core";
import { useEffect, useState } from "react";
import { formatDuration } from "../../components/format.js";

/** A running run's duration ticks every second; a finished one shows start to end. */
export function LiveDuration({ run }: { run: Pick<Run, "status" | "startedAt" | "endedAt" | "heartbeatAt"> }) {
  const running = run.status === "running";
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  // A crashed run has no end time: its last heartbeat is when it was last seen alive.
  const end = run.endedAt ? Date.parse(run.endedAt) : running ? now : Date.parse(run.heartbeatAt);
  const ms = Math.max(0, end - Date.parse(run.startedAt));
  return (
    <span title={running ? "Running: updates every second" : undefined}>
      {formatDuration(ms)}
      {running ? " so far" : ""}
    </span>
  );
}
