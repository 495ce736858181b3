// A small TCP proxy between the SDK and the server, on loopback, that can misbehave on
// purpose: stop forwarding (a cut network path: connections hang, nothing is refused), or
// forward a request and lose its response (the server did the work, the client never hears).
import net from "node:net";

export class ChaosProxy {
  /** @param {number} targetPort */
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.cut = false;
    this.dropRate = 0;
    this.droppedResponses = 0;
    this.forwardedResponses = 0;
    /** @type {Set<{ client: net.Socket, upstream: net.Socket | undefined, start: () => void }>} */
    this.pipes = new Set();
    this.server = net.createServer((client) => this.#accept(client));
  }

  /** @returns {Promise<string>} the proxy's base URL */
  async listen() {
    await new Promise((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const { port } = /** @type {net.AddressInfo} */ (this.server.address());
    this.port = port;
    return `http://127.0.0.1:${port}`;
  }

  /** The server moved (restarted on a new port): new connections go there. */
  retarget(port) {
    this.targetPort = port;
  }

  /** Stops forwarding in both directions; open and new connections hang until `restore()`. */
  cutPath() {
    this.cut = true;
    for (const p of this.pipes) {
      p.client.pause();
      p.upstream?.pause();
    }
  }

  restore() {
    this.cut = false;
    for (const p of [...this.pipes]) {
      if (!p.upstream) {
        p.start();
        p.client.resume();
      } else {
        p.client.resume();
        p.upstream.resume();
      }
    }
  }

  /** Drops this share of responses: the request reaches the server, the connection dies before the reply. */
  dropResponses(rate) {
    this.dropRate = rate;
  }

  /** Kills every open connection (as a restarting server would). */
  resetAll() {
    for (const p of this.pipes) {
      p.client.destroy();
      p.upstream?.destroy();
    }
    this.pipes.clear();
  }

  async close() {
    this.resetAll();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }

  #accept(client) {
    const pipe = { client, upstream: undefined, start: () => {} };
    this.pipes.add(pipe);
    const end = () => {
      this.pipes.delete(pipe);
      client.destroy();
      pipe.upstream?.destroy();
    };
    client.on("error", end);
    client.on("close", end);
    pipe.start = () => {
      const upstream = net.connect(this.targetPort, "127.0.0.1");
      pipe.upstream = upstream;
      upstream.on("error", end);
      upstream.on("close", end);
      // A response starts when the server speaks after the client did: that is where one
      // is dropped (both sockets destroyed, so the client sees a reset mid-request).
      let awaitingResponse = false;
      client.on("data", (chunk) => {
        awaitingResponse = true;
        if (!upstream.write(chunk)) client.pause();
      });
      upstream.on("drain", () => {
        if (!this.cut) client.resume();
      });
      upstream.on("data", (chunk) => {
        if (awaitingResponse) {
          awaitingResponse = false;
          if (this.dropRate > 0 && Math.random() < this.dropRate) {
            this.droppedResponses++;
            end();
            return;
          }
          this.forwardedResponses++;
        }
        if (!client.write(chunk)) upstream.pause();
      });
      client.on("drain", () => {
        if (!this.cut) upstream.resume();
      });
      client.on("end", () => upstream.end());
      upstream.on("end", () => client.end());
    };
    if (this.cut) client.pause();
    else pipe.start();
  }
}
