import { createRoute } from "@hono/zod-openapi";
import { AliasEvent, AliasName } from "@cairn/core";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { createRouter, problems } from "../http/openapi.js";
import { ProjectParam } from "../projects/projects.routes.js";
import { type AliasSubscription, aliasHub } from "./alias-hub.js";
import { openAliasWatch } from "./watch.service.js";

const AliasParam = ProjectParam.extend({
  name: z.string().min(1).max(1000).describe("Model name"),
  alias: AliasName.describe("Alias: `production`, `staging`, any lowercase word"),
});

/** Keeps proxies and load balancers from closing an idle stream. */
export const KEEP_ALIVE_MS = 15_000;
/** A stream ends after this long and the client reconnects: the key's access is checked again. */
export const MAX_STREAM_MS = 10 * 60_000;

/** Server-sent alias events for client.models.watch (issue 6). */
export const watchRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/projects/{project}/models/{name}/aliases/{alias}/events",
    tags: ["gate"],
    summary: "Watch an alias: server-sent events, the current state first, then each move",
    description:
      "`text/event-stream` of events named `alias` whose data is an AliasEvent (`id:` is the move id). The first event is where the alias " +
      "points now; later events are moves, made through any server replica, seen within about a second. A comment line every 15 s keeps the " +
      "connection open; the server ends the stream after 10 minutes (reconnect: the first event repeats the current state, deduplicate by `moveId`). " +
      "Reader role. An unknown model or alias is a 404 before the stream starts.",
    request: { params: AliasParam },
    responses: {
      200: { description: "The event stream", content: { "text/event-stream": { schema: AliasEvent } } },
      ...problems,
    },
  }),
  async (c) => {
    const { project, name, alias } = c.req.valid("param");
    const ctx = c.get("ctx");
    const { watched, current } = await openAliasWatch({ ctx, actor: c.get("actor"), projectRef: project, name, alias });
    c.header("x-accel-buffering", "no"); // nginx: pass events through as they are written
    const response = streamSSE(c, async (stream) => {
      const queue: Array<AliasEvent | null> = [current];
      let wake: (() => void) | undefined;
      const sub: AliasSubscription = {
        lastMoveId: current.moveId,
        push: (event) => {
          queue.push(event);
          wake?.();
        },
      };
      const unsubscribe = aliasHub(ctx).subscribe(watched, sub);
      let ended = false;
      const end = () => {
        ended = true;
        wake?.();
      };
      stream.onAbort(end);
      c.req.raw.signal.addEventListener("abort", end, { once: true });
      const lifetime = setTimeout(end, MAX_STREAM_MS);
      try {
        while (!ended) {
          const event = queue.shift();
          if (event === null) break; // the server is shutting down
          if (event) {
            await stream.writeSSE({ event: "alias", data: JSON.stringify(event), ...(event.moveId ? { id: event.moveId } : {}) });
            continue;
          }
          const keepAlive = await new Promise<boolean>((resolve) => {
            const t = setTimeout(() => resolve(true), KEEP_ALIVE_MS);
            wake = () => {
              clearTimeout(t);
              resolve(false);
            };
          });
          wake = undefined;
          if (keepAlive && !ended) await stream.write(": keep-alive\n\n");
        }
      } finally {
        clearTimeout(lifetime);
        unsubscribe();
      }
    });
    // When the server ends a stream (shutdown, lifetime) the connection goes with it: a
    // shutting-down server would otherwise wait on the kept-alive socket until its timeout.
    response.headers.set("connection", "close");
    return response as never;
  },
);
