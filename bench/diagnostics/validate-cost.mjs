// Diagnostic: per-point cost of validating a 10k-point LogMetrics body with the zod schema
// (what the server does per request) vs JSON.parse and a hand-written check.
//   node bench/diagnostics/validate-cost.mjs
import { LogMetrics } from "@cairn/core";
const pts = []; for (let s = 0; s < 100; s++) for (let k = 0; k < 100; k++) pts.push({ key: "metric_" + String(k).padStart(2, "0"), value: Math.random(), step: s, timestamp: 1732800000000 + s });
const body = JSON.stringify({ points: pts });
let t = performance.now(); for (let i = 0; i < 100; i++) JSON.parse(body); console.log("JSON.parse µs/pt", ((performance.now() - t) / 100 / 10000 * 1000).toFixed(3));
const obj = JSON.parse(body);
for (let i = 0; i < 20; i++) LogMetrics.safeParse(obj);
t = performance.now(); for (let i = 0; i < 100; i++) LogMetrics.safeParse(obj); console.log("zod LogMetrics µs/pt", ((performance.now() - t) / 100 / 10000 * 1000).toFixed(3));
const KEY = /^[A-Za-z0-9_\-./: ]+$/;
const check = (b) => { const p = b.points; if (!Array.isArray(p) || p.length < 1 || p.length > 10000) return false; for (let i = 0; i < p.length; i++) { const x = p[i]; if (typeof x !== "object" || x === null) return false; const k = x.key; if (typeof k !== "string" || k.length === 0 || k.length > 250 || !KEY.test(k)) return false; const v = x.value; if (typeof v !== "number" && v !== "NaN" && v !== "Infinity" && v !== "-Infinity") return false; const s = x.step; if (!Number.isInteger(s) || s < 0) return false; const ts = x.timestamp; if (ts !== undefined && (!Number.isInteger(ts) || ts < 0 || ts > 8.64e15)) return false; let n = 0; for (const _ in x) n++; if (n > 4) return false; } return true; };
for (let i = 0; i < 20; i++) check(obj);
t = performance.now(); for (let i = 0; i < 100; i++) check(obj); console.log("hand check µs/pt", ((performance.now() - t) / 100 / 10000 * 1000).toFixed(3));
