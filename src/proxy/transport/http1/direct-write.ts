// Socket writes without Node's Writable machinery, for plaintext TCP sockets.
//
// `socket.write` allocates a WriteWrap, runs the Writable's bookkeeping and queues an after-write
// tick for every call, even when the kernel takes all the bytes at once — which is nearly always
// the case for a proxy's small heads and bodies. Here we hand the bytes to the socket's handle
// (the StreamBase API `net` itself uses): the handle tries a synchronous write first and only
// queues the rest in libuv when the kernel's send buffer is full. A synchronous write touches no
// request object, so one shared WriteWrap serves them all; a queued one keeps its own.
//
// Ordering: libuv writes a handle's queue in order, and tries no synchronous write while anything
// is queued, so our writes and Writable writes interleave correctly as long as the Writable holds
// nothing in its own JavaScript buffer. When it does (corked, a write in flight, ended, still
// connecting), `write` goes through `socket.write` instead. `socket.end()` is safe at any time:
// libuv shuts the socket down only after the queued writes.
//
// Backpressure: `write` returns false while bytes of ours wait in libuv (the kernel buffer is
// full) or the Writable asks for a drain; `onDrain` runs its callback when both are done.
//
// The handle's WriteWrap constructor and the "last write was async" flag come from Node's
// `stream_wrap` binding, reached with `process.binding` (allow-listed, silent unless
// `--pending-deprecation`). When any of it is missing, every write takes the `socket.write` path.
import type { Socket } from 'node:net';
import process from 'node:process';
import { getSystemErrorName } from 'node:util';

interface WriteReq {
  oncomplete: ((status: number) => void) | undefined;
  /** Keeps a queued buffer alive until libuv is done with it. */
  buffer: Buffer | undefined;
}

interface StreamHandle {
  writeBuffer(req: WriteReq, data: Uint8Array): number;
  writeLatin1String(req: WriteReq, data: string): number;
}

interface StreamBinding {
  newReq: () => WriteReq;
  state: Int32Array;
  lastWriteWasAsync: number;
  tcp: abstract new (...args: never[]) => unknown;
}

function loadBinding(): StreamBinding | undefined {
  if (process.execArgv.includes('--pending-deprecation') || /--pending-deprecation/.test(process.env.NODE_OPTIONS ?? '')) return undefined;
  try {
    const legacy = process as unknown as { binding(name: string): Record<string, unknown> };
    const stream = legacy.binding('stream_wrap');
    const tcp = legacy.binding('tcp_wrap');
    const WriteWrap = stream.WriteWrap as new () => WriteReq;
    const state = stream.streamBaseState;
    const idx = stream.kLastWriteWasAsync;
    const TCP = tcp.TCP;
    if (typeof WriteWrap !== 'function' || !(state instanceof Int32Array) || typeof idx !== 'number' || typeof TCP !== 'function') return undefined;
    return { newReq: () => new WriteWrap(), state, lastWriteWasAsync: idx, tcp: TCP as StreamBinding['tcp'] };
  } catch {
    return undefined;
  }
}

const binding = loadBinding();
/** For synchronous writes, which never touch it; replaced whenever a write is queued with it. */
let sharedReq: WriteReq | undefined = binding?.newReq();

type WithHandle = Socket & { _handle: StreamHandle | null };

/** Whether writes to `socket` can bypass the Writable (plaintext TCP, binding available). */
export function canWriteDirect(socket: Socket): boolean {
  const h = (socket as WithHandle)._handle;
  return binding !== undefined && h !== null && h instanceof binding.tcp;
}

function errnoError(status: number): Error {
  let code: string;
  try {
    code = getSystemErrorName(status);
  } catch {
    code = `E${-status}`;
  }
  return Object.assign(new Error(`write ${code}`), { errno: status, code, syscall: 'write' });
}

/** Writes to one socket, through its handle when it can (see the top of this file). */
export class SocketWriter {
  /** Writes of ours queued in libuv, not yet completed. */
  private queued = 0;
  private drainWaiters: (() => void)[] | undefined;
  private readonly direct: boolean;

  constructor(readonly socket: Socket) {
    this.direct = canWriteDirect(socket);
  }

  /** The handle, when a write may bypass the Writable now; else undefined. */
  private handleNow(): StreamHandle | undefined {
    if (!this.direct) return undefined;
    const s = this.socket as WithHandle;
    const h = s._handle;
    if (h === null || s.writableLength !== 0 || s.writableCorked !== 0 || s.writableEnded || s.destroyed) return undefined;
    return h;
  }

  /** Writes `data`; false: bytes are waiting, call `onDrain` before writing more. */
  write(data: Buffer): boolean {
    const h = this.handleNow();
    if (h === undefined) return this.socket.write(data);
    const req = sharedReq!;
    const err = h.writeBuffer(req, data);
    return this.after(req, err, data);
  }

  /** Writes `text` as latin1 (one byte per character), like `write`. */
  writeLatin1(text: string): boolean {
    const h = this.handleNow();
    if (h === undefined) return this.socket.write(text, 'latin1');
    const req = sharedReq!;
    const err = h.writeLatin1String(req, text); // a queued string is copied by the handle
    return this.after(req, err, undefined);
  }

  private after(req: WriteReq, err: number, data: Buffer | undefined): boolean {
    if (err !== 0) {
      // As `socket.write` does: the socket is destroyed with the error ('close' follows).
      this.socket.destroy(errnoError(err));
      return false;
    }
    const b = binding!;
    if (b.state[b.lastWriteWasAsync] === 0) return true;
    // Queued: this request object now belongs to the write in flight.
    sharedReq = b.newReq();
    req.buffer = data;
    req.oncomplete = (status) => this.completed(req, status);
    this.queued++;
    return false;
  }

  private completed(req: WriteReq, status: number): void {
    req.buffer = undefined;
    req.oncomplete = undefined;
    this.queued--;
    if (status < 0) {
      if (!this.socket.destroyed) this.socket.destroy(errnoError(status));
      return;
    }
    if (this.queued > 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = undefined;
    if (waiters) for (const cb of waiters) this.onDrain(cb);
  }

  /** Bytes are waiting to be written (ours in libuv, or the Writable's). */
  get needDrain(): boolean {
    return this.queued > 0 || this.socket.writableNeedDrain;
  }

  /** Nothing at all is waiting to be written. */
  get flushed(): boolean {
    return this.queued === 0 && this.socket.writableLength === 0;
  }

  /** Runs `cb` once everything queued so far is written (at once when nothing is). */
  onDrain(cb: () => void): void {
    if (this.queued > 0) (this.drainWaiters ??= []).push(cb);
    else if (this.socket.writableNeedDrain) this.socket.once('drain', cb);
    else cb();
  }
}
