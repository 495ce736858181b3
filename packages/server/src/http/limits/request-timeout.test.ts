import { describe, expect, it } from "vitest";
import { UnavailableError } from "../errors.js";
import { requestTimeout, timeoutSignal } from "./request-timeout.js";
import { type ProblemBody, testApp } from "./test-app.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function app(ms: number, seen: { aborted?: boolean | undefined; reason?: unknown } = {}) {
  const a = testApp();
  a.use("*", requestTimeout({ ms, exempt: (c) => c.req.path === "/upload" }));
  a.get("/fast", (c) => c.json({ ok: true }));
  a.get("/slow", async (c) => {
    const signal = timeoutSignal(c);
    await sleep(300);
    seen.aborted = signal?.aborted;
    seen.reason = signal?.reason;
    return c.json({ late: true });
  });
  a.get("/upload", async (c) => {
    await sleep(100);
    return c.json({ ok: true, signal: timeoutSignal(c) !== undefined });
  });
  a.get("/throws", async () => {
    throw new Error("handler bug");
  });
  a.get("/stream", () => {
    const body = new ReadableStream({
      async start(controller) {
        for (let i = 0; i < 3; i++) {
          await sleep(30);
          controller.enqueue(new TextEncoder().encode(`${i}\n`));
        }
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "application/jsonl" } });
  });
  return a;
}

describe("requestTimeout", () => {
  it("lets fast handlers through", async () => {
    const res = await app(1000).request("/fast");
    expect(res.status).toBe(200);
  });

  it("answers 503 unavailable with Retry-After when the handler overruns, and aborts its signal", async () => {
    const seen: { aborted?: boolean; reason?: unknown } = {};
    const started = performance.now();
    const res = await app(30, seen).request("/slow");
    expect(performance.now() - started).toBeLessThan(250); // not the handler's 300 ms
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    const body = (await res.json()) as ProblemBody;
    expect(body).toMatchObject({ status: 503, code: "unavailable", requestId: "req-test" });
    expect(body.detail).toContain("30 ms");
    await sleep(350);
    expect(seen.aborted).toBe(true);
    expect(seen.reason).toBeInstanceOf(UnavailableError);
  });

  it("leaves handler errors to onError as usual", async () => {
    expect((await app(1000).request("/throws")).status).toBe(500);
  });

  it("gives exempt routes no deadline", async () => {
    const res = await app(30).request("/upload");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, signal: false });
  });

  it("stops the clock when a streamed response starts", async () => {
    const res = await app(50).request("/stream");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("0\n1\n2\n");
  });

  it("rejects a nonsense duration", () => {
    expect(() => requestTimeout({ ms: 0 })).toThrow(RangeError);
  });
});
