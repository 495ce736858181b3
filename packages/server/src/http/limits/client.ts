import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";

/** The TCP peer's address, or undefined when there is no Node socket (e.g. `app.request` in tests). */
export function clientAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/**
 * Whether the TCP peer is this machine (127.0.0.0/8, ::1, or either mapped into IPv6).
 * Unknown counts as not loopback, so an exemption based on it fails closed.
 *
 * Caveat for whoever wires this: behind a reverse proxy on the same host every client is
 * loopback, so a loopback exemption must be switchable off by configuration.
 */
export function isLoopbackClient(c: Context): boolean {
  const address = clientAddress(c);
  return address !== undefined && isLoopbackAddress(address);
}

export function isLoopbackAddress(address: string): boolean {
  const a = address.startsWith("::ffff:") ? address.slice(7) : address;
  return a === "::1" || a === "0:0:0:0:0:0:0:1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}
