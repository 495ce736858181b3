import net from "node:net";

/**
 * A TCP proxy in front of a real test server that counts what crosses it: bytes from client
 * to server, PUT requests, the most PUTs in flight at once. It can slow uploads down (to
 * catch them mid-flight) and flip a byte of a response body (to prove downloads verify).
 */
export interface CountingProxy {
  url: string;
  bytesUp: number;
  puts: number;
  maxConcurrentPuts: number;
  /** Client → server bytes per second; 0 = unlimited. */
  throttle: number;
  /** Flip one byte this far into the next response that is at least this long (0 = off). */
  corruptAt: number;
  reset(): void;
  /** Cuts every open connection (as a crashing server or a broken network would). */
  dropAll(): void;
  close(): Promise<void>;
}

export async function startCountingProxy(targetPort: number): Promise<CountingProxy> {
  const sockets = new Set<net.Socket>();
  let inFlight = 0;
  const server = net.createServer((client) => {
    sockets.add(client);
    const upstream = net.connect(targetPort, "127.0.0.1");
    sockets.add(upstream);
    let inPut = false;
    let responseBytes = 0;
    const endPut = () => {
      if (inPut) {
        inPut = false;
        inFlight--;
      }
    };
    client.on("data", (chunk: Buffer) => {
      proxy.bytesUp += chunk.length;
      if (chunk.subarray(0, 4).toString("latin1") === "PUT ") {
        proxy.puts++;
        if (!inPut) {
          inPut = true;
          inFlight++;
          proxy.maxConcurrentPuts = Math.max(proxy.maxConcurrentPuts, inFlight);
        }
      }
      if (!upstream.write(chunk)) client.pause();
      if (proxy.throttle > 0) {
        client.pause();
        setTimeout(() => client.resume(), (chunk.length / proxy.throttle) * 1000);
      }
    });
    upstream.on("drain", () => client.resume());
    upstream.on("data", (chunk: Buffer) => {
      if (chunk.subarray(0, 9).toString("latin1") === "HTTP/1.1 ") {
        endPut();
        responseBytes = 0;
      }
      const at = proxy.corruptAt;
      if (at > 0 && responseBytes <= at && responseBytes + chunk.length > at) {
        chunk = Buffer.from(chunk);
        chunk[at - responseBytes] = (chunk[at - responseBytes]! ^ 0xff) & 0xff;
        proxy.corruptAt = 0;
      }
      responseBytes += chunk.length;
      client.write(chunk);
    });
    const down = () => {
      endPut();
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", down);
    upstream.on("close", down);
    client.on("error", down);
    upstream.on("error", down);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  const proxy: CountingProxy = {
    url: `http://127.0.0.1:${port}`,
    bytesUp: 0,
    puts: 0,
    maxConcurrentPuts: 0,
    throttle: 0,
    corruptAt: 0,
    reset() {
      proxy.bytesUp = 0;
      proxy.puts = 0;
      proxy.maxConcurrentPuts = 0;
    },
    dropAll() {
      for (const s of sockets) s.destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return proxy;
}
