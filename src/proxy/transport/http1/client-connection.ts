// One upstream HTTP/1.1 connection, reused across requests by the pool (keep-alive).
//
// It sends a prepared request head, streams the request body, parses the response head and
// hands response body bytes on as they arrive, untouched (chunked framing included).
import type { Socket } from 'node:net';
import type { HeaderList } from '../../http/headers.js';
import type { BodySink, BodySource } from '../../http/exchange.js';
import { ChunkedDecoder, CRLF, LAST_CHUNK } from './chunked.js';
import { connectionTokens, responseFraming, wantsKeepAlive, type Framing } from './framing.js';
import { HeadParseError, parseResponseHead, type ResponseHead } from './head-parser.js';
import { beginHandover, endHandover, readPortOf, type ReadPort } from './read-port.js';
import { SocketWriter } from './direct-write.js';
import { findHeadEnd, latin1At } from './bytes.js';
import { headView, putRequestHead, requestHeadSize, retireScratch, scratchBuffer, type RequestHeadParts } from './serialize.js';

export interface UpstreamResponseHandler {
  /** A 1xx interim response other than 101 (e.g. 100 Continue). */
  interim(status: number, headers: HeaderList): void;
  /** The final response head. */
  head(head: ResponseHead, framing: Framing): void;
  /** 101 Switching Protocols: the socket now belongs to the caller. */
  upgrade(head: ResponseHead, rawHead: Buffer, socket: Socket): void;
  /** Response body bytes, as framed on the wire. Return false to pause the upstream. */
  data(chunk: Buffer): boolean;
  end(): void;
  /** The exchange failed. `responseStarted`: a response head had already arrived. */
  fail(kind: 'reset' | 'protocol', err: Error, responseStarted: boolean): void;
}

const MAX_RESPONSE_HEAD = 64 * 1024;
const MAX_RESPONSE_FIELDS = 200;

export class Http1ClientConnection {
  /** Requests completed on this connection (for maxRequestsPerConnection). */
  served = 0;
  /** Set when the last exchange left the connection reusable. */
  reusable = true;
  closed = false;
  /** Whether at least one exchange completed here (a reset on a reused connection is benign). */
  get reused(): boolean {
    return this.served > 0;
  }

  private handler: UpstreamResponseHandler | undefined;
  private method = 'GET';
  private pending: Buffer | undefined;
  private state: 'idle' | 'head' | 'body' | 'done' = 'idle';
  private framing: Framing = { kind: 'none' };
  private remaining = 0;
  private decoder: ChunkedDecoder | undefined;
  private requestDone = true;
  private keepAlive = true;
  private requestBody: BodySource | undefined;
  private onFinished: ((conn: Http1ClientConnection) => void) | undefined;
  /** Set when the socket reads in `onread` mode: bytes are only valid during onData. */
  private readonly port: ReadPort | undefined;
  /** Request bytes go out through this (past the Writable when it can, see direct-write.ts). */
  private readonly writer: SocketWriter;
  /** Sweeps of the pool's idle sweep since this connection went idle. */
  idleTicks = 0;
  /** The pool's answer when it hands this connection out: one object per connection, not per request. */
  readonly acquired: { readonly ok: true; readonly conn: Http1ClientConnection } = { ok: true, conn: this };

  constructor(
    readonly socket: Socket,
    /** The endpoint key ("address:port" as the snapshot names it). */
    readonly key: string,
  ) {
    socket.setNoDelay(true);
    this.writer = new SocketWriter(socket);
    this.port = readPortOf(socket);
    if (this.port) this.port.sink = this.onData;
    else socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', () => {}); // reported through 'close'
  }

  /** The pool's idle timeout elapsed while this connection sat unused. */
  onIdle(): void {
    if (this.state === 'idle') this.socket.destroy();
  }

  /**
   * Starts an exchange: sends the request head (`head`'s fields, a content-length line unless
   * `length` is -1, the CRLF-terminated lines in `extra`), then streams `body`. `onFinished`
   * runs once when the connection is free again (or closed), so the pool can reuse or forget it.
   */
  send(
    head: RequestHeadParts,
    length: number,
    extra: string,
    body: BodySource | undefined,
    bodyEncode: 'raw' | 'chunk',
    handler: UpstreamResponseHandler,
    onFinished: (conn: Http1ClientConnection) => void,
  ): void {
    this.handler = handler;
    this.onFinished = onFinished;
    this.method = head.method;
    this.state = 'head';
    this.requestDone = body === undefined;
    this.requestBody = body;
    const buf = scratchBuffer(requestHeadSize(head, length, extra));
    const end = putRequestHead(buf, 0, head, length, extra);
    this.writer.write(headView(buf, end));
    if (!this.writer.flushed) retireScratch(buf);
    if (body) body.pipe(this.bodySink(bodyEncode));
  }

  private bodySink(mode: 'raw' | 'chunk'): BodySink {
    const s = this.socket;
    const w = this.writer;
    return {
      data: (chunk) => {
        if (this.closed) return true;
        if (mode === 'raw') return w.write(chunk);
        if (chunk.length === 0) return true;
        // Size line, data and CRLF leave in one write (a writev when corked).
        s.cork();
        s.write(chunk.length.toString(16) + '\r\n', 'latin1');
        s.write(chunk);
        const ok = s.write(CRLF);
        s.uncork();
        return ok;
      },
      onDrain: (cb) => {
        w.onDrain(cb);
      },
      end: () => {
        if (mode === 'chunk' && !this.closed) w.write(LAST_CHUNK);
        this.requestDone = true;
        this.requestBody = undefined;
        if (this.state === 'done') this.finish();
      },
      abort: () => {
        // The client went away mid-upload: this exchange can never complete.
        this.reusable = false;
        this.socket.destroy();
      },
    };
  }

  /** Stops reading (the downstream is slow). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Abandons the exchange in flight (timeout, client gone): the connection is not reusable. */
  abandon(): void {
    this.handler = undefined;
    this.reusable = false;
    this.socket.destroy();
  }

  /** Bytes chunk[0, end) were read (`end` is given by the `onread` path, which reuses `chunk`). */
  private onData = (chunk: Buffer, end: number = chunk.length): void => {
    let buf = chunk;
    let to = end;
    if (this.pending) {
      buf = Buffer.concat([this.pending, end === chunk.length ? chunk : chunk.subarray(0, end)]);
      to = buf.length;
      this.pending = undefined;
    }
    let off = 0;
    while (off < to && this.handler) {
      if (this.state === 'head') {
        const end = findHeadEnd(buf, off, to);
        if (end === -1) {
          if (to - off > MAX_RESPONSE_HEAD) return this.protocolError('response head too large');
          this.pending = this.port ? Buffer.from(buf.subarray(off, to)) : buf.subarray(off, to);
          return;
        }
        let head: ResponseHead;
        try {
          head = parseResponseHead(latin1At(buf, off, end), MAX_RESPONSE_FIELDS);
        } catch (err) {
          return this.protocolError((err as Error).message);
        }
        const headEnd = end + 4;
        if (head.status === 101) {
          const h = this.handler;
          this.detach();
          if (this.port) {
            // No Readable to unshift into: early tunnel bytes travel with the head.
            this.port.sink = undefined;
            h.upgrade(head, Buffer.from(buf.subarray(off, to)), this.socket);
            return;
          }
          const rest = buf.subarray(headEnd, to);
          h.upgrade(head, Buffer.from(buf.subarray(off, headEnd)), this.socket);
          if (rest.length > 0) this.socket.unshift(rest);
          return;
        }
        off = headEnd;
        if (head.status < 200) {
          this.handler.interim(head.status, head.headers);
          continue;
        }
        let framing: Framing;
        try {
          framing = responseFraming(head.headers, head.status, this.method);
        } catch (err) {
          return this.protocolError((err as HeadParseError).message);
        }
        this.framing = framing;
        this.keepAlive = framing.kind !== 'close' && wantsKeepAlive(head.minor, connectionTokens(head.headers));
        this.state = 'body';
        if (framing.kind === 'length') this.remaining = framing.length;
        else if (framing.kind === 'chunked') this.decoder = new ChunkedDecoder();
        this.handler.head(head, framing);
        if (framing.kind === 'none') this.responseEnd();
        continue;
      }
      if (this.state === 'body') {
        off = this.feedBody(buf, off, to);
        continue;
      }
      // Bytes after a complete response with nothing asked: the server is confused.
      return this.protocolError('unexpected bytes after the response');
    }
  };

  private feedBody(buf: Buffer, off: number, to: number): number {
    const h = this.handler!;
    let end: number;
    let complete = false;
    switch (this.framing.kind) {
      case 'length':
        end = Math.min(to, off + this.remaining);
        this.remaining -= end - off;
        complete = this.remaining === 0;
        break;
      case 'chunked':
        try {
          end = this.decoder!.feed(buf, off, to);
        } catch (err) {
          this.protocolError((err as Error).message);
          return to;
        }
        complete = this.decoder!.done;
        break;
      default: // 'close': everything until the server closes
        end = to;
    }
    if (end > off) {
      if (this.port) beginHandover();
      const ok = h.data(buf.subarray(off, end));
      if (this.port) endHandover(this.port);
      if (!ok) this.socket.pause();
    }
    if (complete) this.responseEnd();
    return end;
  }

  private responseEnd(): void {
    const h = this.handler;
    this.state = 'done';
    this.decoder = undefined;
    if (this.requestDone) this.finish();
    h?.end();
  }

  /** Both directions done: hand the connection back. */
  private finish(): void {
    this.served++;
    if (!this.keepAlive) this.reusable = false;
    this.detach();
    this.state = 'idle';
    if (!this.reusable) this.socket.destroy();
    const cb = this.onFinished;
    this.onFinished = undefined;
    cb?.(this);
  }

  private detach(): void {
    this.handler = undefined;
    this.requestBody = undefined;
  }

  private protocolError(message: string): void {
    const h = this.handler;
    const started = this.state === 'body';
    this.detach();
    this.reusable = false;
    this.socket.destroy();
    h?.fail('protocol', new Error(message), started);
  }

  private onClose = (): void => {
    this.closed = true;
    this.reusable = false;
    const h = this.handler;
    this.requestBody = undefined;
    if (h && this.state === 'body' && this.framing.kind === 'close') {
      // Close-delimited body: the close is its end.
      this.responseEnd();
    } else if (h) {
      const started = this.state === 'body';
      this.detach();
      h.fail('reset', new Error('upstream closed the connection'), started);
    }
    const cb = this.onFinished;
    this.onFinished = undefined;
    cb?.(this);
  };
}
