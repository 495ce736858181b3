// Scenario 7 — concurrency invariants: 32 SDK clients in 4 child processes, half of them on
// each of TWO server processes sharing ONE PostgreSQL database, register model versions,
// move and remove aliases, tag models and log metrics to shared runs, all at once. Then:
// version numbers are unique and gapless per model, each alias holds one version and its
// history is one unbroken chain ending there, the audit chain verifies (also mid-run) and
// holds exactly one event per acknowledged mutation, and every metric count matches what
// the clients were acknowledged.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AuditVerifyResult } from "@cairn/core";
import { Cairn } from "@cairn/sdk";
import { freshDatabase } from "../../bench/lib/pg.mjs";
import { startChildServer } from "../../bench/lib/server.mjs";
import { round, sleep } from "../../bench/lib/stats.mjs";

export const name = "concurrency";
export const title = "32 clients on two server processes sharing one PostgreSQL: versions, aliases, audit chain, metric counts";

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), "../lib/concurrency-worker.mjs");
const say = (msg) => process.stderr.write(`    · ${new Date().toISOString().slice(11, 19)} ${msg}\n`);

function startWorker(env) {
  const child = spawn(process.execPath, [WORKER], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const done = new Promise((resolve) =>
    child.once("exit", (code) => {
      const line = stdout.trim().split("\n").filter(Boolean).pop();
      try {
        resolve(JSON.parse(line));
      } catch {
        resolve({ crashed: `worker exited ${code} without a report: ${stderr.slice(-2000)}` });
      }
    }),
  );
  return { child, done };
}

/** Every version of a model, oldest first (the API pages newest first). */
async function allVersions(cairn, model) {
  const out = [];
  let cursor;
  do {
    const page = await cairn.models.versions(model, { limit: 200, archived: "include", ...(cursor ? { cursor } : {}) });
    out.push(...page.versions);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out.reverse();
}

/**
 * Two servers started at once on an empty database: both must come up (the migrations
 * serialise on their advisory lock) and agree on the schema. Returns the start-up time.
 */
async function bootTogether(databaseUrl, dataDir) {
  const fresh = await freshDatabase(databaseUrl, "rel_concurrency_boot");
  const t0 = Date.now();
  const started = await Promise.allSettled([0, 1].map((i) => startChildServer({ dataDir: path.join(dataDir, `boot-${i}`), databaseUrl: fresh.url, timeoutMs: 120_000, env: { CAIRN_LOG_LEVEL: "error" } })));
  const ms = Date.now() - t0;
  await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.close() : undefined)));
  await fresh.drop();
  return { ok: started.every((s) => s.status === "fulfilled"), ms, errors: started.flatMap((s) => (s.status === "rejected" ? [String(s.reason?.message ?? s.reason).slice(0, 500)] : [])) };
}

export async function run({ long, driver, startServer, apiKey, project, dataDir, databaseUrl }) {
  if (driver !== "postgres") {
    return { skipped: "two server processes need one shared PostgreSQL (PGlite is one process's database); run with CAIRN_TEST_DATABASE_URL set or --driver=postgres" };
  }
  const boot = await bootTogether(databaseUrl, dataDir);
  for (const e of boot.errors) say(`boot: ${e}`);
  const seconds = long ? 240 : 30;
  const WORKERS = 4;
  const CLIENTS = 8;
  const servers = await Promise.all([startServer(), startServer()]);
  const [a, b] = servers.map((s) => new Cairn({ url: s.url, apiKey, project, timeoutMs: 10 * 60_000 }));
  const workers = [];
  try {
    // What the clients share: a run holding the model file, four models, four runs for metrics.
    const source = await a.runs.create(project, { name: "model-source" });
    const file = path.join(dataDir, "model.bin");
    fs.writeFileSync(file, Buffer.from("weights of a model that concurrency registers many times"));
    await a.artifacts.upload(source.id, file, { path: "model.bin" });
    const models = [];
    for (let i = 0; i < 4; i++) models.push({ name: `model-${i}`, id: (await a.models.create({ name: `model-${i}` })).id });
    const sharedRuns = [];
    for (let i = 0; i < 4; i++) sharedRuns.push((await b.runs.create(project, { name: `shared-${i}` })).id);
    const auditBefore = await b.transport.call("GET", "/api/v1/audit/verify", AuditVerifyResult);

    const deadline = Date.now() + seconds * 1000;
    say(`${WORKERS * CLIENTS} clients on ${servers.map((s) => s.url).join(" and ")} for ${seconds} s`);
    for (let w = 0; w < WORKERS; w++) {
      workers.push(
        startWorker({
          CAIRN_API_KEY: apiKey,
          REL_URLS: servers.map((s) => s.url).join(","),
          REL_PROJECT: project,
          REL_WORKER: String(w),
          REL_CLIENTS: String(CLIENTS),
          REL_MODELS: JSON.stringify(models),
          REL_RUNS: JSON.stringify(sharedRuns),
          REL_SOURCE_RUN: source.id,
          REL_ARTIFACT: "model.bin",
          REL_DEADLINE: String(deadline),
        }),
      );
    }
    // Mid-run, the chain must verify too: committed events always form a whole chain.
    await sleep((seconds * 1000) / 2);
    const auditMid = await a.transport.call("GET", "/api/v1/audit/verify", AuditVerifyResult);
    say(`mid-run audit verify: ok=${auditMid.ok}, ${auditMid.checked} events`);
    const reports = await Promise.all(workers.map((w) => w.done));
    const crashed = reports.filter((r) => r.crashed);
    if (crashed.length) throw new Error(crashed.map((r) => r.crashed).join("\n"));
    say("clients done; checking what the servers hold");

    // What clients were told.
    const ops = {};
    const failures = {};
    const points = {};
    let serverErrors = 0;
    const samples = [];
    const versionIds = new Map(); // id → [model, version]
    const expectedMoves = new Map(); // "model\talias" → count
    const latency = {};
    for (const r of reports) {
      for (const [k, n] of Object.entries(r.ops)) ops[k] = (ops[k] ?? 0) + n;
      for (const [k, n] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + n;
      for (const [k, n] of Object.entries(r.points)) points[k] = (points[k] ?? 0) + n;
      serverErrors += r.serverErrors;
      samples.push(...r.serverErrorSamples, ...r.failureSamples);
      for (const [m, v, id] of r.registered) versionIds.set(id, [m, v]);
      for (const [m, alias, v, before] of r.promoted) if (before !== v) expectedMoves.set(`${m}\t${alias}`, (expectedMoves.get(`${m}\t${alias}`) ?? 0) + 1);
      for (const [m, alias] of r.removed) expectedMoves.set(`${m}\t${alias}`, (expectedMoves.get(`${m}\t${alias}`) ?? 0) + 1);
      for (const [k, l] of Object.entries(r.latencyMs)) (latency[k] ??= []).push(l);
    }

    // 1. Version numbers: unique, gapless, and each the number its client was answered.
    const modelNames = [...new Set([...models.map((m) => m.name), ...[...versionIds.values()].map(([m]) => m)])];
    let versionProblems = 0;
    const versionSamples = [];
    let versionsStored = 0;
    for (const m of modelNames) {
      const stored = await allVersions(b, m);
      versionsStored += stored.length;
      const numbers = stored.map((v) => v.version);
      const registered = [...versionIds.values()].filter(([n]) => n === m).length;
      const gapless = numbers.every((n, i) => n === i + 1);
      const answeredRight = stored.every((v) => !versionIds.has(v.id) || versionIds.get(v.id)[1] === v.version);
      if (!gapless || !answeredRight || stored.length !== registered) {
        versionProblems++;
        if (versionSamples.length < 3) versionSamples.push(`${m}: ${stored.length} stored, ${registered} registered, numbers ${numbers.slice(0, 20).join(",")}…`);
      }
    }

    // 2. Aliases: one holder each, a history that chains from null to it, one move per answered move.
    let aliasProblems = 0;
    const aliasSamples = [];
    let movesStored = 0;
    let movesExpected = 0;
    for (const m of models) {
      const model = await a.models.get(m.name);
      for (const alias of await b.models.aliases(m.name)) {
        const moves = [...alias.history].reverse(); // oldest first
        movesStored += moves.length;
        const expected = expectedMoves.get(`${m.name}\t${alias.alias}`) ?? 0;
        movesExpected += expected;
        const problems = [];
        if (moves.length < 1000 && moves[0]?.fromVersion !== null) problems.push("first move does not start from nothing");
        for (let i = 1; i < moves.length; i++) {
          if (moves[i].fromVersion !== moves[i - 1].toVersion) problems.push(`move ${i} starts at ${moves[i].fromVersion}, previous ended at ${moves[i - 1].toVersion}`);
          if (Date.parse(moves[i].movedAt) < Date.parse(moves[i - 1].movedAt)) problems.push(`move ${i} is older than move ${i - 1}`);
        }
        const last = moves.at(-1)?.toVersion ?? null;
        if (alias.version !== last) problems.push(`holds v${alias.version}, history ends at v${last}`);
        if ((model.aliases[alias.alias] ?? null) !== alias.version) problems.push(`the model says v${model.aliases[alias.alias]}, the alias v${alias.version}`);
        if (moves.length < 1000 && moves.length !== expected) problems.push(`${moves.length} moves stored, ${expected} answered`);
        if (problems.length) {
          aliasProblems++;
          if (aliasSamples.length < 3) aliasSamples.push(`${m.name}@${alias.alias}: ${problems.slice(0, 3).join("; ")}`);
        }
      }
    }

    // 3. The audit chain: whole, and one event per acknowledged mutation (plus each model
    //    that a registration created).
    const audit = await b.transport.call("GET", "/api/v1/audit/verify", AuditVerifyResult);
    const freshModels = modelNames.length - models.length;
    const auditExpected = versionIds.size + freshModels + (ops.promote ?? 0) + reports.reduce((s, r) => s + r.removed.length, 0) + (ops.tagModel ?? 0) + (ops.logMetrics ?? 0);
    const auditNew = audit.checked - auditBefore.checked;

    // 4. Metric counts: the server's summary and the full history against what was acknowledged.
    let metricProblems = 0;
    const metricSamples = [];
    let pointsStored = 0;
    for (const runId of sharedRuns) {
      const summary = (await a.metrics.list(runId)).metrics;
      const keys = new Set([...summary.map((s) => s.key), ...Object.keys(points).filter((k) => k.startsWith(`${runId}\t`)).map((k) => k.split("\t")[1])]);
      for (const key of keys) {
        const expected = points[`${runId}\t${key}`] ?? 0;
        const count = summary.find((s) => s.key === key)?.count ?? 0;
        pointsStored += count;
        let historyLength = count;
        if (key === "shared" && expected <= 100_000) {
          const h = await b.metrics.history(runId, key, { maxPoints: 100_000 });
          historyLength = h.downsampled ? -1 : h.steps.length;
        }
        if (count !== expected || historyLength !== expected) {
          metricProblems++;
          if (metricSamples.length < 3) metricSamples.push(`${runId}/${key}: summary ${count}, history ${historyLength}, acknowledged ${expected}`);
        }
      }
    }

    const failed = Object.values(failures).reduce((s, n) => s + n, 0);
    const pointsAcked = Object.values(points).reduce((s, n) => s + n, 0);
    const lat = (k) => {
      const ls = latency[k] ?? [];
      return ls.length ? `p50 ${Math.max(...ls.map((l) => l.p50))} ms, p99 ${Math.max(...ls.map((l) => l.p99))} ms (worst worker)` : "–";
    };
    if (samples.length || versionSamples.length || aliasSamples.length || metricSamples.length) {
      for (const s of [...samples.slice(0, 8), ...versionSamples, ...aliasSamples, ...metricSamples]) say(s);
    }
    // What the servers said about their 5xx is the first thing to read.
    if (serverErrors > 0) for (const s of servers) say(`server ${s.url} stderr (tail):\n${s.stderr.slice(-3000)}`);
    return {
      figures: {
        "two servers migrating one empty db": `${boot.ok ? "both up" : "FAILED"} in ${boot.ms} ms`,
        "clients × servers": `${WORKERS * CLIENTS} × 2 (one PostgreSQL)`,
        seconds,
        "operations acknowledged": Object.entries(ops).map(([k, n]) => `${k} ${n}`).join(", "),
        "operations per second": round(Object.values(ops).reduce((s, n) => s + n, 0) / seconds, 0),
        "failed operations": failed === 0 ? 0 : JSON.stringify(failures),
        "server 5xx seen": serverErrors,
        models: `${modelNames.length} (${freshModels} created by concurrent first registrations)`,
        "versions stored / registered": `${versionsStored} / ${versionIds.size}`,
        "alias moves stored / answered": `${movesStored} / ${movesExpected}`,
        "audit events new / expected": `${auditNew} / ${auditExpected}`,
        "audit chain": `${audit.ok ? "verifies" : `broken at seq ${audit.firstBroken?.seq}: ${audit.firstBroken?.reason}`} (${audit.checked} events; mid-run ${auditMid.ok ? "verified" : "BROKEN"} ${auditMid.checked})`,
        "metric points stored / acknowledged": `${pointsStored} / ${pointsAcked}`,
        "register latency": lat("register"),
        "promote latency": lat("promote"),
        "logMetrics latency": lat("logMetrics"),
      },
      checks: [
        [boot.ok, `two servers started at once on an empty database both come up (${boot.ms} ms)`],
        [failed === 0 && serverErrors === 0, `no failed operation and no 5xx (${failed} failed, ${serverErrors} 5xx)`],
        [versionProblems === 0 && versionIds.size > 0, `version numbers unique and gapless per model, each as answered (${versionProblems} of ${modelNames.length} models wrong)`],
        [aliasProblems === 0 && movesStored > 0, `each alias holds one version with an unbroken, ordered history ending there (${aliasProblems} aliases wrong)`],
        [audit.ok && auditMid.ok, `audit chain verifies after and during the run (${audit.checked} events)`],
        [auditNew === auditExpected, `one audit event per acknowledged mutation (${auditNew} = ${auditExpected})`],
        [metricProblems === 0 && pointsAcked > 0, `metric counts match what clients were acknowledged (${pointsStored} = ${pointsAcked}; ${metricProblems} series wrong)`],
      ],
    };
  } catch (e) {
    throw new Error(`${e?.stack ?? e}\n--- server stderr (tails) ---\n${servers.map((s) => s.stderr.slice(-2000)).join("\n---\n")}`);
  } finally {
    for (const w of workers) w.child.kill("SIGKILL");
    await Promise.all(servers.map((s) => s.close()));
  }
}
