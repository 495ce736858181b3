import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Readable } from "node:stream";
import { type ChunkSink, streamBody, type UploadBody } from "./store/index.js";

/**
 * Bodies announced at least this large are read straight from the socket (see socketBody).
 * Below it the saving is small and the connection stays reusable.
 */
export const SOCKET_BODY_MIN_BYTES = 8 * 2 ** 20;

/**
 * Bytes per socket read. The kernel hands over what it has queued, up to this: on loopback
 * a 1 GiB upload came in reads of ~64 KiB–1 MiB. One buffer, reused for every read.
 */
const RECEIVE_BUFFER_BYTES = 1024 * 1024;

/** What node:http keeps on an accepted socket, as far as the takeover touches it. */
interface HttpSocket extends Socket {
  _handle?: { useUserBuffer?: (buf: Uint8Array) => void; reading?: boolean } | null;
  parser?: { incoming?: unknown; _consumed?: boolean; unconsume?: () => void } | null;
  _paused?: boolean;
}

type Listener = (...args: unknown[]) => void;

/**
 * The listeners node:http's server puts on a connection that must go for the body to be read
 * here: its parser's feed ('data'), its end-of-input check ('end', which would call a body
 * the parser never saw "incomplete"), and the pause/resume hooks of the consumed parser.
 * Found by name (they are module-private); when one is missing, Node changed and the body is
 * read the ordinary way.
 */
const HTTP_LISTENERS = [
  ["data", "bound socketOnData"],
  ["end", "bound socketOnEnd"],
  ["pause", "onSocketPause"],
  ["resume", "onSocketResume"],
] as const;

/**
 * The request body of a PUT, read the cheapest way the connection allows. node:http parses
 * a body in reads of at most 64 KiB and copies each into a new Buffer: for a 1 GiB upload that
 * was ~16,000 allocations, ~1–1.3 s of garbage collection, ~1.2 s of parser callbacks and most
 * of the server's memory growth. For a large body with a Content-Length, `drainInto` instead
 * detaches the HTTP parser from the socket (as node:http itself does for an upgrade) and reads
 * the rest of the body with net.Socket's `onread` buffer mode into one reused buffer, which the
 * sink copies into its blocks: no allocation per read.
 *
 * The parser cannot be re-attached after that, so such a connection is not kept alive: the
 * response says `Connection: close` (one TCP handshake per large file). Bytes after the body
 * (a pipelined request) are dropped with the connection, which the client learns from that
 * header. Anything unusual (no Content-Length, chunked, HTTP/2, a body already being read, a
 * Node whose internals differ) falls back to the ordinary stream.
 */
export function socketBody(incoming: IncomingMessage | undefined, outgoing: ServerResponse | undefined, fallback: () => Readable, options: { minBytes?: number } = {}): UploadBody {
  let used = false;
  const once = () => {
    if (used) throw new Error("the upload body was already used");
    used = true;
  };
  return {
    stream() {
      once();
      return fallback();
    },
    async drainInto(sink) {
      once();
      let length = incoming ? takeoverLength(incoming, options.minBytes ?? SOCKET_BODY_MIN_BYTES) : undefined;
      if (length !== undefined) {
        // Called from the 'request' event, this runs inside the parser's execute: the body
        // bytes of the read that held the headers are pushed to `incoming` only after it.
        await new Promise((resolve) => setImmediate(resolve));
        length = takeoverLength(incoming!, options.minBytes ?? SOCKET_BODY_MIN_BYTES);
      }
      const takeover = incoming && outgoing && length !== undefined ? detach(incoming) : undefined;
      if (!incoming || !outgoing || length === undefined || !takeover) return streamBody(fallback()).drainInto(sink);
      outgoing.shouldKeepAlive = false;
      await readSocket(incoming, takeover, length, sink);
    },
  };
}

/** The body length when this request can be taken off the parser, else undefined. */
function takeoverLength(incoming: IncomingMessage, minBytes: number): number | undefined {
  const declared = incoming.headers["content-length"];
  if (incoming.httpVersionMajor !== 1 || incoming.headers["transfer-encoding"] !== undefined || declared === undefined || !/^\d+$/.test(declared)) return undefined;
  const length = Number(declared);
  // Not yet complete and not being consumed by anyone else (a flowing or piped stream).
  if (length < minBytes || incoming.complete || incoming.readableFlowing === true || incoming.destroyed) return undefined;
  return length;
}

interface Takeover {
  socket: HttpSocket;
  setReader(read: ((nread: number, buf: Uint8Array) => boolean) | undefined): void;
  /** Body bytes the parser had already delivered to the IncomingMessage. */
  head: Buffer[];
}

/**
 * Takes the socket from the HTTP parser, synchronously (no read can slip in between): drains
 * what the parser already pushed into `incoming`, unconsumes the parser, removes node:http's
 * socket listeners and switches the socket to `onread` buffer mode, reads stopped.
 */
function detach(incoming: IncomingMessage): Takeover | undefined {
  const socket = incoming.socket as HttpSocket | null;
  const handle = socket?._handle;
  const parser = socket?.parser;
  // A parser that consumes the TCP handle (plain HTTP): over TLS it is fed 'data' events instead, a path not taken over.
  if (!socket || !handle || typeof handle.useUserBuffer !== "function" || !parser || parser.incoming !== incoming || parser._consumed !== true || typeof parser.unconsume !== "function") return undefined;
  // net.Socket's `onread` option lives under these symbols (set for every socket, null unless used).
  const symbols = Object.getOwnPropertySymbols(socket);
  const kBuffer = symbols.find((s) => s.description === "kBuffer");
  const kBufferCb = symbols.find((s) => s.description === "kBufferCb");
  const slots = socket as unknown as Record<symbol, unknown>;
  if (!kBuffer || !kBufferCb || slots[kBuffer] !== null) return undefined;
  const found = HTTP_LISTENERS.map(([event, name]) => [event, (socket.listeners(event) as Listener[]).find((l) => l.name === name)] as const);
  if (found.some(([, l]) => l === undefined)) return undefined;

  const head: Buffer[] = [];
  for (let chunk: Buffer | null = incoming.read(); chunk !== null; chunk = incoming.read()) head.push(chunk);
  parser.unconsume();
  parser._consumed = false;
  for (const [event, listener] of found) socket.removeListener(event, listener!);
  socket._paused = false;
  const buffer = Buffer.allocUnsafe(RECEIVE_BUFFER_BYTES);
  // Reads that come when nobody is reading (after the body, or after a failure) are dropped.
  const discard = () => false;
  slots[kBuffer] = buffer;
  slots[kBufferCb] = discard;
  handle.useUserBuffer(buffer);
  // Stopped until the bytes the parser delivered are through (a read meanwhile would be queued).
  socket.pause();
  return {
    socket,
    head,
    setReader(read) {
      slots[kBufferCb] = read ? (nread: number) => read(nread, buffer) : discard;
    },
  };
}

class Interrupted extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/**
 * Feeds `length` body bytes to `sink`: first what the parser had delivered, then socket reads.
 * Reads stop whenever the sink pushes back and resume once it has taken the chunk, so the one
 * buffer is never overwritten while the sink may still read it. A read that arrives anyway
 * (something else restarted the socket) is copied out and queued rather than lost.
 */
function readSocket(incoming: IncomingMessage, { socket, head, setReader }: Takeover, length: number, sink: ChunkSink): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const queue: Uint8Array[] = [];
    let received = 0;
    for (const chunk of head) {
      const n = Math.min(chunk.length, length - received);
      if (n > 0) queue.push(chunk.subarray(0, n));
      received += n;
    }
    // The sink holds a chunk (or the queue is being drained): reads must not land in the buffer.
    let busy = true;
    let settled = false;
    const settle = () => {
      settled = true;
      setReader(undefined);
      socket.removeListener("end", onEnd);
      socket.removeListener("close", onClose);
      socket.removeListener("error", onError);
      socket.pause();
    };
    const fail = (e: unknown) => {
      if (settled) return;
      settle();
      reject(e);
    };
    const finish = () => {
      if (settled) return;
      settle();
      // The request as node:http and the framework see it: complete and ended, nothing to drain.
      incoming.complete = true;
      incoming.push(null);
      incoming.read(0);
      resolve();
    };
    const lost = (what: string, code: string) => () => fail(new Interrupted(`the client ${what} after ${received} of ${length} bytes`, code));
    const onEnd = lost("ended the upload", "ERR_STREAM_PREMATURE_CLOSE");
    const onClose = lost("closed the connection", "ECONNRESET");
    const onError = (e: unknown) => fail(e);
    socket.on("end", onEnd);
    socket.on("close", onClose);
    socket.on("error", onError);

    /** Hands the queue to the sink in order, then finishes or reads on. */
    const drain = async () => {
      busy = true;
      for (let chunk = queue.shift(); chunk; chunk = queue.shift()) {
        const wait = sink(chunk);
        if (wait) await wait;
      }
      busy = false;
      if (settled) return;
      if (received === length) finish();
      else if (socket.destroyed) onClose();
      else socket.resume();
    };
    setReader((nread, buffer) => {
      if (settled) return false;
      // Bytes past the body belong to a pipelined request: dropped with the connection.
      const n = Math.min(nread, length - received);
      received += n;
      const chunk = buffer.subarray(0, n);
      if (busy) {
        if (n > 0) queue.push(Buffer.from(chunk));
        return false;
      }
      let wait: Promise<void> | undefined;
      try {
        wait = sink(chunk);
      } catch (e) {
        fail(e);
        return false;
      }
      if (wait) {
        busy = true;
        wait.then(drain).catch(fail);
        return false;
      }
      if (received === length) {
        finish();
        return false;
      }
      return true;
    });
    drain().catch(fail);
  });
}
