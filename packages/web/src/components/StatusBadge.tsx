const tone: Record<string, string> = {
  finished: "ok",
  passed: "ok",
  pass: "ok",
  resolved: "ok",
  running: "info",
  open: "warn",
  acknowledged: "info",
  failed: "bad",
  fail: "bad",
  crashed: "bad",
  killed: "warn",
  refused: "bad",
};

/** A coloured pill whose text says the state, so colour is never the only signal. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge ${tone[status] ?? ""}`}>{status}</span>;
}
