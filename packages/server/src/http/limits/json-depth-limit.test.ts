import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../context.js";
import { PayloadTooLargeError } from "../errors.js";
import { problemResponse, toHttpError } from "../problem.js";
import { jsonDepthLimit } from "./json-depth-limit.js";
import { type ProblemBody, testApp } from "./test-app.js";

const nested = (n: number) => "[".repeat(n) + "]".repeat(n);
const post = (body: string, type = "application/json") => ({ method: "POST", body, headers: { "content-type": type } });

function echoApp(options: Parameters<typeof jsonDepthLimit>[0] = {}) {
  const app = testApp();
  app.use("*", jsonDepthLimit(options));
  app.post("/echo", async (c) => {
    // The middleware consumed the stream; json() must come from Hono's body cache.
    const consumed = c.req.raw.bodyUsed;
    try {
      return c.json({ consumed, body: await c.req.json() });
    } catch {
      return c.json({ malformed: true });
    }
  });
  app.post("/metrics", async (c) => c.json({ length: (await c.req.text()).length }));
  return app;
}

describe("jsonDepthLimit", () => {
  it("passes a body at the limit through, and the handler parses it from the cache", async () => {
    const res = await echoApp({ maxDepth: 5 }).request("/echo", post(`{"a":${nested(4)}}`));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ consumed: true, body: { a: [[[[]]]] } });
  });

  it("rejects a body one level deeper with a 400 validation_failed problem naming (body)", async () => {
    const res = await echoApp({ maxDepth: 5 }).request("/echo", post(`{"a":${nested(5)}}`));
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = (await res.json()) as ProblemBody;
    expect(body).toMatchObject({ status: 400, code: "validation_failed", requestId: "req-test" });
    expect(body.errors).toEqual([{ path: "(body)", message: "must be nested at most 5 levels deep" }]);
  });

  it("defaults to 32 levels, and survives 100,000 levels without a stack overflow", async () => {
    const app = echoApp();
    expect((await app.request("/echo", post(nested(32)))).status).toBe(200);
    expect((await app.request("/echo", post(nested(33)))).status).toBe(400);
    expect((await app.request("/echo", post("[".repeat(100_000)))).status).toBe(400);
  });

  it("does not count brackets inside strings or escaped quotes", async () => {
    const tricky = JSON.stringify({ s: `\\"[[[[[[[[[[{{{{{{{{{{{"`, t: "]]]]" });
    const res = await echoApp({ maxDepth: 2 }).request("/echo", post(tricky));
    expect(res.status).toBe(200);
  });

  it("applies to +json types and charset parameters, not to other types", async () => {
    const app = echoApp({ maxDepth: 2 });
    expect((await app.request("/echo", post(nested(3), "application/merge-patch+json"))).status).toBe(400);
    expect((await app.request("/echo", post(nested(3), "Application/JSON; charset=utf-8"))).status).toBe(400);
    // Not JSON: left to the route (which answers 415 or reads it its own way).
    expect((await app.request("/metrics", post(nested(3), "text/plain"))).status).toBe(200);
  });

  it("limits string and key length when asked", async () => {
    const app = echoApp({ maxStringLength: 10 });
    expect((await app.request("/echo", post(JSON.stringify({ k: "x".repeat(10) })))).status).toBe(200);
    const long = await app.request("/echo", post(JSON.stringify({ k: "x".repeat(11) })));
    expect(long.status).toBe(400);
    expect(((await long.json()) as ProblemBody).errors?.[0]?.path).toBe("(body)");
    expect((await app.request("/echo", post(JSON.stringify({ ["k".repeat(11)]: 1 })))).status).toBe(400);
    // An escape counts as the one character it stands for.
    expect((await app.request("/echo", post(JSON.stringify({ k: "\u0001".repeat(10) })))).status).toBe(200);
  });

  it("skips exempt routes without reading their body", async () => {
    const app = echoApp({ maxDepth: 2, exempt: (c) => c.req.path === "/metrics" });
    const res = await app.request("/metrics", post(nested(50)));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ length: 100 });
  });

  it("leaves malformed JSON to the handler's parser and empty bodies alone", async () => {
    const app = echoApp({ maxDepth: 2 });
    expect(await (await app.request("/echo", post('{"a": [1,'))).json()).toEqual({ malformed: true });
    expect(await (await app.request("/echo", post("[[[[", "application/json"))).json()).toMatchObject({ status: 400 });
    const empty = await app.request("/echo", { method: "POST", headers: { "content-type": "application/json" } });
    expect(await empty.json()).toEqual({ malformed: true });
  });

  it("works behind a body-size limit and in front of the zod-openapi JSON validator", async () => {
    const app = new OpenAPIHono<AppEnv>();
    app.use("*", async (c, next) => {
      c.set("requestId", "req-test");
      await next();
    });
    app.onError((err, c) => problemResponse(c, toHttpError(err)));
    app.use(
      "*",
      bodyLimit({
        maxSize: 64,
        onError: () => {
          throw new PayloadTooLargeError(64);
        },
      }),
    );
    app.use("*", jsonDepthLimit({ maxDepth: 3 }));
    app.openapi(
      createRoute({
        method: "post",
        path: "/things",
        request: { body: { content: { "application/json": { schema: z.object({ tags: z.array(z.array(z.string())) }) } } } },
        responses: { 200: { description: "ok" } },
      }),
      (c) => c.json(c.req.valid("json"), 200),
    );
    const ok = await app.request("/things", post(JSON.stringify({ tags: [["a"]] })));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ tags: [["a"]] });
    expect((await app.request("/things", post(JSON.stringify({ tags: [[["a"]]] })))).status).toBe(400);
    expect((await app.request("/things", post(JSON.stringify({ tags: [["x".repeat(100)]] })))).status).toBe(413);
    // Chunked (no content-length): bodyLimit re-wraps the stream; the scan reads its copy.
    const chunked = new Request("http://x/things", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"tags":'));
          controller.enqueue(new TextEncoder().encode('[["b"]]}'));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    const res = await app.request(chunked);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ tags: [["b"]] });
  });

  it("rejects a nonsense maxDepth at construction", () => {
    expect(() => jsonDepthLimit({ maxDepth: 0 })).toThrow(RangeError);
  });
});
