import http from "node:http";
import { describe, expect, it } from "vitest";
import { call, newProject, useServer } from "../../test/support.js";
import { keyFor, modelSetup } from "../gate/gate.testutil.js";
import { testDrivers, type TestServer } from "../testing.js";
import { aliasHub } from "./alias-hub.js";

interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/** Opens the stream with node:http (bytes as they arrive, no buffering) and collects its events and comments. */
function openStream(srv: TestServer, path: string, apiKey = srv.apiKey) {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let status = 0;
  let contentType = "";
  let ended = false;
  const waiters: Array<() => void> = [];
  const notify = () => {
    for (const w of waiters.splice(0)) w();
  };
  const url = new URL(srv.url);
  const req = http.get({ host: url.hostname, port: url.port, path, headers: { authorization: `Bearer ${apiKey}`, accept: "text/event-stream" } }, (res) => {
    status = res.statusCode ?? 0;
    contentType = String(res.headers["content-type"] ?? "");
    let buf = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const e: SseEvent = { event: "message", data: "" };
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) comments.push(line);
          else if (line.startsWith("event: ")) e.event = line.slice(7);
          else if (line.startsWith("id: ")) e.id = line.slice(4);
          else if (line.startsWith("data: ")) e.data += line.slice(6);
        }
        if (e.data) events.push(e);
      }
      notify();
    });
    res.on("end", () => {
      ended = true;
      notify();
    });
  });
  req.on("error", () => {
    ended = true;
    notify();
  });
  const until = async (pred: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out; events so far: ${JSON.stringify(events)}`);
      await Promise.race([new Promise<void>((r) => waiters.push(r)), new Promise((r) => setTimeout(r, 50))]);
    }
  };
  return {
    events,
    comments,
    status: () => status,
    contentType: () => contentType,
    ended: () => ended,
    until,
    close: () => req.destroy(),
  };
}

describe.each(testDrivers)("alias watch events (%s)", (driver) => {
  const srv = useServer(driver);
  const eventsPath = (project: string, model: string, alias: string) => `/api/v1/projects/${project}/models/${model}/aliases/${alias}/events`;

  it("sends the current state first, then each move (through the gate) within about a second, with one poll for every watcher", async () => {
    const project = await newProject(srv());
    const m = await modelSetup(srv(), project);
    const v1 = await m.register();
    const v2 = await m.register();
    expect((await call(srv(), "PUT", m.alias("production"), { version: v1 })).status).toBe(200);
    const reader = await keyFor(srv(), project, "reader");
    const a = openStream(srv(), eventsPath(project, "fraud", "production"), reader.apiKey);
    const b = openStream(srv(), eventsPath(project, "fraud", "production"));
    await a.until(() => a.events.length >= 1, 5_000);
    await b.until(() => b.events.length >= 1, 5_000);
    expect(a.status()).toBe(200);
    expect(a.contentType()).toMatch(/^text\/event-stream/);
    const first = JSON.parse(a.events[0]!.data);
    expect(a.events[0]!.event).toBe("alias");
    expect(first).toMatchObject({ model: "fraud", alias: "production", version: v1, previousVersion: null });
    expect(a.events[0]!.id).toBe(first.moveId);

    const t0 = Date.now();
    expect((await call(srv(), "PUT", m.alias("production"), { version: v2 })).status).toBe(200);
    await a.until(() => a.events.length >= 2, 5_000);
    expect(Date.now() - t0).toBeLessThan(2_500);
    const moved = JSON.parse(a.events[1]!.data);
    expect(moved).toMatchObject({ model: "fraud", alias: "production", version: v2, previousVersion: v1 });
    expect(moved.moveId).not.toBe(first.moveId);
    await b.until(() => b.events.length >= 2, 5_000);
    expect(JSON.parse(b.events[1]!.data).moveId).toBe(moved.moveId);

    // Removing the alias is a move to nowhere.
    expect((await call(srv(), "DELETE", m.alias("production"))).status).toBe(200);
    await a.until(() => a.events.length >= 3, 5_000);
    expect(JSON.parse(a.events[2]!.data)).toMatchObject({ version: null, previousVersion: v2 });
    // Nothing else moved: no repeated events.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(a.events).toHaveLength(3);
    expect(aliasHub(srv().server()!.ctx).watchers).toBe(2);
    a.close();
    b.close();
    await a.until(() => aliasHub(srv().server()!.ctx).watchers === 0, 5_000);
  });

  it("an alias with only a policy starts at version null with no move; a first promotion is then an event", async () => {
    const project = await newProject(srv());
    const m = await m2(srv(), project);
    expect((await call(srv(), "PUT", `${m.url}/policy`, { alias: "staging", rules: [] })).status).toBeLessThan(300);
    const s = openStream(srv(), eventsPath(project, "fraud", "staging"));
    await s.until(() => s.events.length >= 1, 5_000);
    expect(JSON.parse(s.events[0]!.data)).toEqual({ model: "fraud", alias: "staging", version: null, previousVersion: null, movedAt: null, moveId: null });
    expect(s.events[0]!.id).toBeUndefined();
    expect((await call(srv(), "PUT", m.alias("staging"), { version: m.v1 })).status).toBe(200);
    await s.until(() => s.events.length >= 2, 5_000);
    expect(JSON.parse(s.events[1]!.data)).toMatchObject({ version: m.v1, previousVersion: null });
    s.close();
  });

  async function m2(s: TestServer, project: string) {
    const m = await modelSetup(s, project);
    return { ...m, v1: await m.register() };
  }

  it("unknown model or alias: 404 problem before any stream; another project's key: no stream", async () => {
    const project = await newProject(srv());
    const m = await m2(srv(), project);
    expect((await call(srv(), "PUT", m.alias("production"), { version: m.v1 })).status).toBe(200);
    const noModel = await call(srv(), "GET", eventsPath(project, "nope", "production"));
    expect(noModel.status).toBe(404);
    const noAlias = await call(srv(), "GET", eventsPath(project, "fraud", "canary"));
    expect(noAlias.status).toBe(404);
    expect(noAlias.body.code).toBe("not_found");
    const other = await newProject(srv());
    const foreign = await keyFor(srv(), other, "reader");
    const denied = await call(foreign, "GET", eventsPath(project, "fraud", "production"));
    expect([403, 404]).toContain(denied.status);
  });

  it("ends open streams when the server shuts down (no wait for the shutdown timeout)", async () => {
    const project = await newProject(srv());
    const m = await m2(srv(), project);
    expect((await call(srv(), "PUT", m.alias("production"), { version: m.v1 })).status).toBe(200);
    const s = openStream(srv(), eventsPath(project, "fraud", "production"));
    await s.until(() => s.events.length >= 1, 5_000);
    const t0 = Date.now();
    await srv().stop();
    expect(Date.now() - t0).toBeLessThan(4_000);
    await s.until(() => s.ended(), 1_000);
    await srv().start();
  });
});
