import { describe, expect, it } from "vitest";
import { clientAddress, isLoopbackAddress, isLoopbackClient } from "./client.js";
import { testApp } from "./test-app.js";

function app() {
  const a = testApp();
  a.get("/", (c) => c.json({ address: clientAddress(c) ?? null, loopback: isLoopbackClient(c) }));
  return a;
}

// What @hono/node-server passes as c.env: the Node request, whose socket has the peer address.
const nodeEnv = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress, remotePort: 1234, remoteFamily: remoteAddress.includes(":") ? "IPv6" : "IPv4" } } });

describe("isLoopbackClient", () => {
  it("reads the peer address from the Node socket", async () => {
    expect(await (await app().request("/", {}, nodeEnv("127.0.0.1"))).json()).toEqual({ address: "127.0.0.1", loopback: true });
    expect(await (await app().request("/", {}, nodeEnv("::1"))).json()).toEqual({ address: "::1", loopback: true });
    expect(await (await app().request("/", {}, nodeEnv("10.0.0.7"))).json()).toEqual({ address: "10.0.0.7", loopback: false });
  });

  it("fails closed when there is no socket", async () => {
    expect(await (await app().request("/")).json()).toEqual({ address: null, loopback: false });
  });

  it("knows loopback addresses", () => {
    for (const a of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"]) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ["10.0.0.1", "128.0.0.1", "::2", "::ffff:10.0.0.1", "1127.0.0.1", "127.0.0.1.evil", "localhost", ""]) expect(isLoopbackAddress(a), a).toBe(false);
  });
});
