import net from "node:net";

/** A loopback port nothing listens on (just released by the OS): free to bind, refused to connect. */
export async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}
