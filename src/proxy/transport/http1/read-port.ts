// Socket reads without Node's Readable machinery, for plaintext HTTP/1 sockets.
//
// A socket created with `onread` reads into a buffer we give it and calls us with the byte count:
// no Buffer allocated per read, no push/emit/nextTick per read. It measured −15% CPU per
// proxied request. (TLS sockets cannot read this way; they keep the 'data' path.)
//
// Each socket owns its buffer. Bytes handed out are valid only during the call: the socket's
// next read overwrites them. Consumers copy what they keep (partial heads, held bodies). On the
// body path a consumer may instead keep the chunk (a socket write that did not complete at once
// still references it); unless it calls `releaseChunk`, the socket's buffer is given away with
// the chunk and a fresh one is allocated for its next read.
//
// No buffer is ever shared between sockets: one shared buffer corrupted chunked bodies under the
// 100 MB streaming test, because a kept reference is overwritten by any socket's next read.
import { Socket } from 'node:net';

/** Accepted (downstream) sockets: requests are small; big uploads just take more reads. */
export const DOWNSTREAM_BUFFER = 16 * 1024;
/** Upstream sockets: responses may be big; there are few of these (the pool bounds them). */
export const UPSTREAM_BUFFER = 64 * 1024;

/** Bytes buf[0, end) were read; `buf` is the socket's buffer, overwritten by the next read. */
export type ReadSink = (buf: Buffer, end: number) => void;

/** Where the bytes of an `onread` socket go; swapped when the connection changes hands. */
export interface ReadPort {
  sink: ReadSink | undefined;
  buf: Buffer;
  readonly size: number;
  /** The last chunk handed out is still referenced: read into a fresh buffer next time. */
  given: boolean;
}

let released = false;

/** Producer: start of a hand-over of body bytes that the consumer may keep. */
export function beginHandover(): void {
  released = false;
}

/** Consumer: the chunk just handed over is no longer referenced (copied, or fully written). */
export function releaseChunk(): void {
  released = true;
}

/** Producer: unless the consumer released the chunk, the buffer now belongs to it. */
export function endHandover(port: ReadPort): void {
  if (!released) port.given = true;
}

const PORT = Symbol('maille.readPort');
type WithPort = Socket & { [PORT]?: ReadPort };

export function readPortOf(socket: Socket): ReadPort | undefined {
  return (socket as WithPort)[PORT];
}

export function newReadPort(size: number): ReadPort {
  return { sink: undefined, buf: Buffer.allocUnsafeSlow(size), size, given: false };
}

/** `onread` options for a socket about to be created; attach the port with `bindReadPort`. */
export function onreadOptions(port: ReadPort): { buffer: () => Buffer; callback: (n: number, buf: Buffer) => boolean } {
  return {
    // Called by Node at creation and after every read: the buffer the next read goes into.
    buffer: () => {
      if (port.given) {
        port.given = false;
        port.buf = Buffer.allocUnsafeSlow(port.size);
      }
      return port.buf;
    },
    callback: (n, buf) => {
      const sink = port.sink;
      if (sink !== undefined) sink(buf, n); // no subarray: one Buffer object less per read
      return true; // pausing is done through socket.pause()
    },
  };
}

export function bindReadPort(socket: Socket, port: ReadPort): void {
  (socket as WithPort)[PORT] = port;
}

type Internal = Socket & { _handle: unknown; _server: unknown; server: unknown };

/**
 * Re-creates an accepted (still paused, untouched) socket around the same handle in `onread`
 * mode: net.Server has no option for it. The old Socket object is dropped before anything
 * listens on it; the server's connection count moves to the new one.
 */
export function adoptAccepted(socket: Socket): Socket {
  const old = socket as Internal;
  const handle = old._handle;
  if (!handle) return socket;
  const port = newReadPort(DOWNSTREAM_BUFFER);
  old._handle = null;
  const s = new Socket({ handle, onread: onreadOptions(port), pauseOnCreate: true, readable: true, writable: true } as never) as Internal;
  s._server = old._server;
  s.server = old.server;
  old._server = null;
  bindReadPort(s, port);
  return s;
}

/** One direction of a byte tunnel (after an upgrade): from `src` to `dst`, with backpressure. */
export function spliceInto(src: Socket, dst: Socket): void {
  const port = readPortOf(src);
  if (!port) {
    src.pipe(dst);
    return;
  }
  const resume = (): void => {
    src.resume();
  };
  port.sink = (buf, end) => {
    const copy = Buffer.allocUnsafe(end);
    buf.copy(copy, 0, 0, end);
    if (!dst.write(copy)) {
      src.pause();
      dst.once('drain', resume);
    }
  };
  src.once('end', () => dst.end());
}
