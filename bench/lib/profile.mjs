// Summarises a V8 .cpuprofile: self time by function and by package, total time share.
import fs from "node:fs";

export function summariseProfile(file, top = 25) {
  const p = JSON.parse(fs.readFileSync(file, "utf8"));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = p.timeDeltas;
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i];
    self.set(id, (self.get(id) ?? 0) + (dt[i] ?? 0));
  }
  const totalUs = dt.reduce((a, b) => a + b, 0);
  const fn = new Map();
  const pkg = new Map();
  for (const [id, us] of self) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const url = cf.url || "(native)";
    const name = `${cf.functionName || "(anon)"} ${url.replace(/^.*node_modules\//, "").replace(/^file:\/\/\/work\/main\//, "")}:${cf.lineNumber + 1}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    const k = m ? m[1] : url.includes("/packages/") ? url.replace(/^.*\/packages\/([^/]+).*$/, "@cairn/$1") : url.startsWith("node:") ? "node:internal" : cf.functionName.startsWith("(") ? cf.functionName : "(native/other)";
    pkg.set(k, (pkg.get(k) ?? 0) + us);
  }
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => ({ name: k, ms: Math.round(us / 1000), pct: Math.round((us / totalUs) * 1000) / 10 }));
  return { totalMs: Math.round(totalUs / 1000), byPackage: sorted(pkg), byFunction: sorted(fn) };
}

import { fileURLToPath } from "node:url";
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2]) console.log(JSON.stringify(summariseProfile(process.argv[2], Number(process.argv[3] ?? 30)), null, 1));
