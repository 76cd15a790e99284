// One downstream HTTP/1.1 connection: parses requests off the socket, hands each to the request
// path as a protocol-neutral exchange, and writes responses back, one at a time (pipelined
// requests wait their turn, as RFC 9112 requires responses in order).
//
// Bodies are streamed in both directions with backpressure and never buffered whole. Chunked
// bodies are forwarded byte for byte (`chunked-wire`), so the common HTTP/1 → HTTP/1 path copies
// nothing and re-encodes nothing.
import type { Socket } from 'node:net';
import { HeaderList } from '../../http/headers.js';
import type {
  BodySink,
  BodySource,
  DownstreamRequest,
  DownstreamResponse,
  ResponseHeadOut,
} from '../../http/exchange.js';
import type { ConnectionInfo } from '../connection-info.js';
import { ChunkedDecoder, CRLF, LAST_CHUNK } from './chunked.js';
import { connectionTokens, requestFraming, wantsKeepAlive, type Framing } from './framing.js';
import { HeadParseError, parseRequestHead, type RequestHead } from './head-parser.js';
import { headView, putResponseHead, responseHeadSize, retireScratch, scratchBuffer, serializeHeaders, statusText } from './serialize.js';
import { idleSweeper, type IdleSweeper } from './idle-sweeper.js';
import { readPortOf, releaseChunk, spliceInto, type ReadPort } from './read-port.js';
import { SocketWriter } from './direct-write.js';
import { findHeadEnd, latin1At } from './bytes.js';

export interface Http1ServerLimits {
  maxHeaderBytes: number;
  maxHeaderCount: number;
  headerTimeoutMs: number;
  idleTimeoutMs: number;
}

export type ExchangeHandler = (req: DownstreamRequest, res: DownstreamResponse) => void;

/** Local answer for a request the codec itself refuses (malformed, too large, too slow). */
export type CodecErrorWriter = (socket: Socket, status: number, message: string) => void;

/** Bytes of request body held while the request path has not started reading it yet. */
const HOLD_LIMIT = 64 * 1024;
/** Largest first body chunk copied next to the head (bigger ones go in their own write). */
const COALESCE_LIMIT = 16 * 1024;

export class Http1ServerConnection {
  /** Sweeps since the last read or response write (see IdleSweeper). */
  idleTicks = 0;
  private readonly sweeper: IdleSweeper | undefined;
  /** Set when the socket reads in `onread` mode: bytes are only valid during onData. */
  private readonly port: ReadPort | undefined;
  private pending: Buffer | undefined;
  private current: ServerExchange | undefined;
  /** Parsing the body of `current` (false: waiting for its response, or between requests). */
  private readingBody = false;
  private headTimer: NodeJS.Timeout | undefined;
  private draining = false;
  private closed = false;
  /** Response bytes go out through this (past the Writable when it can, see direct-write.ts). */
  readonly writer: SocketWriter;

  constructor(
    readonly socket: Socket,
    readonly info: ConnectionInfo,
    private readonly limits: Http1ServerLimits,
    private readonly handler: ExchangeHandler,
    private readonly codecError: CodecErrorWriter,
  ) {
    this.port = readPortOf(socket);
    if (this.port) this.port.sink = this.onData;
    else socket.on('data', this.onData);
    this.writer = new SocketWriter(socket);
    socket.on('close', this.onClose);
    socket.on('error', () => {}); // 'close' follows; the exchange sees the abort there
    this.sweeper = limits.idleTimeoutMs > 0 ? idleSweeper(limits.idleTimeoutMs) : undefined;
    this.sweeper?.add(this);
  }

  /** No longer subject to the idle timeout (closed, or tunnelled after an upgrade). */
  stopIdleTimer(): void {
    this.sweeper?.remove(this);
  }

  /** Feeds bytes that were read before this connection object existed (protocol sniffing). */
  start(initial: Buffer | undefined): void {
    if (initial && initial.length > 0) this.onData(initial);
  }

  /** Graceful drain: finish the exchange in flight, then close; close now if idle. */
  drain(): void {
    this.draining = true;
    if (!this.current) this.socket.end();
  }

  get isDraining(): boolean {
    return this.draining;
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** The idle timeout elapsed with no reads or writes: close unless an exchange is in flight. */
  onIdle(): void {
    if (!this.current) this.socket.destroy();
  }

  private onClose = (): void => {
    this.closed = true;
    this.stopIdleTimer();
    this.clearHeadTimer();
    const ex = this.current;
    this.current = undefined;
    if (ex) ex.downstreamClosed();
  };

  /** Bytes buf[0, end) were read (`end` is given by the `onread` path, which reuses `buf`). */
  private onData = (chunk: Buffer, end: number = chunk.length): void => {
    this.idleTicks = 0;
    if (this.pending) {
      const buf = Buffer.concat([this.pending, end === chunk.length ? chunk : chunk.subarray(0, end)]);
      this.pending = undefined;
      this.process(buf, 0, buf.length);
    } else {
      this.process(chunk, 0, end);
    }
  };

  private process(buf: Buffer, from: number, to: number): void {
    let off = from;
    while (off < to && !this.closed) {
      if (this.readingBody) {
        const body = this.current!.requestBody!;
        try {
          off = body.feed(buf, off, to);
        } catch (err) {
          // Bad chunk framing: the upstream must not see a half body as a whole one.
          body.abort(err as Error);
          if (err instanceof HeadParseError) return this.refuse(err.status, `request body: ${err.message}`);
          throw err;
        }
        if (body.complete) this.readingBody = false;
        continue;
      }
      if (this.current) {
        // A pipelined request: hold it until the response in flight is done.
        this.pending = this.keep(buf.subarray(off, to));
        this.socket.pause();
        return;
      }
      // Tolerate empty lines before a request line (RFC 9112 §2.2).
      while (off + 1 < to && buf[off] === 13 && buf[off + 1] === 10) off += 2;
      const end = findHeadEnd(buf, off, to);
      if (end === -1) {
        if (to - off > this.limits.maxHeaderBytes) return this.refuse(431, 'request headers too large');
        this.pending = this.keep(buf.subarray(off, to));
        this.armHeadTimer();
        return;
      }
      this.clearHeadTimer();
      if (end - off > this.limits.maxHeaderBytes) return this.refuse(431, 'request headers too large');
      let head: RequestHead;
      let framing: Framing;
      try {
        head = parseRequestHead(latin1At(buf, off, end), this.limits.maxHeaderCount);
        framing = requestFraming(head.headers);
      } catch (err) {
        if (err instanceof HeadParseError) return this.refuse(err.status, err.message);
        throw err;
      }
      off = end + 4;
      this.startExchange(head, framing);
    }
  }

  /** Bytes held past this read: a copy when the read buffer is reused by the next read. */
  private keep(b: Buffer): Buffer {
    return this.port ? Buffer.from(b) : b;
  }

  private startExchange(head: RequestHead, framing: Framing): void {
    const ex = new ServerExchange(this, head, framing, this.port !== undefined);
    this.current = ex;
    this.readingBody = ex.requestBody !== undefined;
    const req = ex.toRequest(this.info);
    if (req === undefined) return this.refuse(400, 'missing or invalid Host header');
    this.handler(req, ex);
  }

  /** Called by the exchange when its response is fully written. */
  exchangeDone(ex: ServerExchange, keepAlive: boolean): void {
    if (this.current !== ex) return;
    this.idleTicks = 0;
    if (ex.requestBody !== undefined && !ex.requestBody.complete) {
      // The response finished before the request body did: the connection is out of sync.
      this.socket.end();
      return;
    }
    this.current = undefined;
    if (!keepAlive || this.draining) {
      this.socket.end();
      return;
    }
    const rest = this.pending;
    this.pending = undefined;
    this.socket.resume();
    if (rest) this.process(rest, 0, rest.length);
  }

  /** Bytes read past the current request (an upgraded connection's first frames). */
  takePending(): Buffer | undefined {
    const p = this.pending;
    this.pending = undefined;
    return p;
  }

  private armHeadTimer(): void {
    if (this.headTimer || this.limits.headerTimeoutMs === 0) return;
    this.headTimer = setTimeout(() => this.refuse(408, 'request headers not received in time'), this.limits.headerTimeoutMs);
  }

  private clearHeadTimer(): void {
    if (this.headTimer) {
      clearTimeout(this.headTimer);
      this.headTimer = undefined;
    }
  }

  /** Answers a request the codec cannot accept, then closes: the byte stream is unusable. */
  private refuse(status: number, message: string): void {
    this.clearHeadTimer();
    this.pending = undefined;
    if (this.port) this.port.sink = undefined;
    else this.socket.off('data', this.onData);
    if (this.current?.headSent) {
      this.socket.destroy();
      return;
    }
    this.codecError(this.socket, status, message);
  }
}

/** Request body as it comes off the socket, handed on with backpressure. */
class RequestBody implements BodySource {
  readonly encoding: 'plain' | 'chunked-wire';
  readonly length: number | undefined;
  complete = false;
  private remaining: number;
  private decoder: ChunkedDecoder | undefined;
  private sink: BodySink | undefined;
  private held: Buffer[] | undefined;
  private heldBytes = 0;
  private ended = false;
  private failed: Error | undefined;

  constructor(
    private readonly socket: Socket,
    framing: Framing,
    /** Body bytes come from a read buffer the next read overwrites: hand on copies. */
    private readonly copy: boolean,
  ) {
    this.encoding = framing.kind === 'chunked' ? 'chunked-wire' : 'plain';
    this.length = framing.kind === 'length' ? framing.length : undefined;
    this.remaining = this.length ?? 0;
    this.decoder = framing.kind === 'chunked' ? new ChunkedDecoder() : undefined;
  }

  /** Consumes this body's bytes from buf[off, to); returns where the next message starts. */
  feed(buf: Buffer, off: number, to: number): number {
    let end: number;
    if (this.decoder) {
      end = this.decoder.feed(buf, off, to); // throws HeadParseError on bad framing
      if (this.decoder.done) this.complete = true;
    } else {
      end = Math.min(to, off + this.remaining);
      this.remaining -= end - off;
      if (this.remaining === 0) this.complete = true;
    }
    if (end > off) this.emit(this.copy ? Buffer.from(buf.subarray(off, end)) : buf.subarray(off, end));
    if (this.complete) this.finish();
    return end;
  }

  private emit(chunk: Buffer): void {
    if (!this.sink) {
      (this.held ??= []).push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes > HOLD_LIMIT) this.socket.pause();
      return;
    }
    if (!this.sink.data(chunk)) {
      this.socket.pause();
      this.sink.onDrain(this.resumeSocket);
    }
  }

  private readonly resumeSocket = (): void => {
    this.socket.resume();
  };

  private finish(): void {
    this.ended = true;
    if (this.sink && !this.held) this.sink.end();
  }

  pipe(sink: BodySink): void {
    this.sink = sink;
    const held = this.held;
    this.held = undefined;
    if (held) for (const chunk of held) sink.data(chunk);
    if (this.failed) sink.abort(this.failed);
    else if (this.ended) sink.end();
    this.socket.resume();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** The downstream went away mid-body. */
  abort(err: Error): void {
    if (this.complete || this.failed) return;
    this.failed = err;
    this.sink?.abort(err);
  }
}

/**
 * One request/response exchange on the connection. It is its own response body sink (`body`
 * returns `this`): one object per exchange instead of a sink object and a closure per method.
 */
export class ServerExchange implements DownstreamResponse, BodySink {
  /** undefined: the request has no body. */
  readonly requestBody: RequestBody | undefined;
  headSent = false;
  private keepAlive: boolean;
  /** A response head is held back, to leave in one write with the first body bytes. */
  private headPending = false;
  // The held head (see serialize.ts): status, fields, content-length (-1: none), extra lines.
  private resStatus = 0;
  private resHeaders: HeaderList | undefined;
  private resLength = -1;
  private resExtra = '';
  /** How the response body goes out on this connection. */
  private out: 'raw' | 'encode-chunks' | 'decode-to-close' | 'none' = 'none';
  private decoder: ChunkedDecoder | undefined;
  private done = false;
  private readonly socket: Socket;
  private readonly writer: SocketWriter;
  private readonly isHead: boolean;
  /** Set by the request path to learn that the client went away. */
  onDownstreamClose: (() => void) | undefined;

  constructor(
    private readonly conn: Http1ServerConnection,
    private readonly head: RequestHead,
    framing: Framing,
    copyBody: boolean,
  ) {
    this.socket = conn.socket;
    this.writer = conn.writer;
    this.requestBody = framing.kind === 'none' ? undefined : new RequestBody(conn.socket, framing, copyBody);
    this.keepAlive = wantsKeepAlive(head.minor, connectionTokens(head.headers));
    this.isHead = head.method === 'HEAD';
  }

  toRequest(info: ConnectionInfo): DownstreamRequest | undefined {
    const h = this.head;
    let path = h.target;
    let authority = h.headers.get('host');
    if (path.charCodeAt(0) !== 47 /* / */ && path !== '*') {
      // absolute-form, as HTTP_PROXY clients send it: http://reviews:9080/path
      const m = /^https?:\/\/([^/?#]+)([^#]*)/i.exec(path);
      if (!m) return undefined;
      authority = m[1];
      path = m[2] || '/';
    }
    if (authority === undefined || authority.length === 0) {
      if (h.minor === 0) authority = '';
      else return undefined;
    }
    const upgradeHeader = h.headers.get('upgrade');
    const ct = h.headers.get('content-type');
    return {
      method: h.method,
      path,
      authority,
      scheme: info.tls ? 'https' : 'http',
      headers: h.headers,
      protocol: 'http1',
      body: this.requestBody,
      conn: info,
      grpc: ct !== undefined && ct.startsWith('application/grpc'),
      upgrade: upgradeHeader !== undefined && connectionTokens(h.headers)?.includes('upgrade') ? upgradeHeader : undefined,
    };
  }

  // ----- DownstreamResponse

  writeInterim(status: number, headers: HeaderList): void {
    if (this.headSent || this.done) return;
    this.writer.writeLatin1(`HTTP/1.1 ${status} ${statusText(status)}\r\n${serializeHeaders(headers)}\r\n`);
  }

  writeHead(res: ResponseHeadOut): void {
    if (this.headSent) throw new Error('response head already sent');
    this.headSent = true;
    const minor = this.head.minor;
    let length = -1;
    let extra = '';
    if (res.encoding === undefined || this.isHead) {
      this.out = 'none';
      const hasLength = res.headers.has('content-length');
      if (!hasLength && res.status >= 200 && res.status !== 204 && res.status !== 304 && !this.isHead) length = 0;
      if (this.isHead && res.length !== undefined && !hasLength) length = res.length;
    } else if (res.encoding === 'plain' && res.length !== undefined) {
      this.out = 'raw';
      length = res.length;
    } else if (minor >= 1) {
      this.out = res.encoding === 'chunked-wire' ? 'raw' : 'encode-chunks';
      extra = 'transfer-encoding: chunked\r\n';
    } else {
      // An HTTP/1.0 client cannot read chunked: send the payload and close to end it.
      this.out = 'decode-to-close';
      this.keepAlive = false;
      if (res.encoding === 'chunked-wire') {
        this.decoder = new ChunkedDecoder();
        this.decoder.onData = (slice) => this.socket.write(slice);
      }
    }
    if (this.conn.isDraining) this.keepAlive = false; // tell the client to go elsewhere
    if (!this.keepAlive) extra += 'connection: close\r\n';
    else if (minor === 0) extra += 'connection: keep-alive\r\n';
    this.resStatus = res.status;
    this.resHeaders = res.headers;
    this.resLength = length;
    this.resExtra = extra;
    this.headPending = true;
    if (this.out === 'none') this.flushHead();
  }

  private flushHead(): void {
    if (!this.headPending) return;
    this.headPending = false;
    const headers = this.resHeaders!;
    this.resHeaders = undefined;
    const buf = scratchBuffer(responseHeadSize(this.resStatus, headers, this.resLength, this.resExtra));
    const end = putResponseHead(buf, 0, this.resStatus, headers, this.resLength, this.resExtra);
    this.writer.write(headView(buf, end));
    if (!this.writer.flushed) retireScratch(buf);
  }

  /**
   * Head and first body bytes in one buffer and one write: small responses leave in one
   * packet, without the cost of corking (a writev and its bookkeeping). Releases the chunk
   * (see read-port.ts) unless the write still references it.
   */
  private flushHeadWith(chunk: Buffer): boolean {
    const w = this.writer;
    if (chunk.length > COALESCE_LIMIT) {
      this.flushHead();
      const ok = w.write(chunk);
      if (w.flushed) releaseChunk();
      return ok;
    }
    this.headPending = false;
    const headers = this.resHeaders!;
    this.resHeaders = undefined;
    const buf = scratchBuffer(responseHeadSize(this.resStatus, headers, this.resLength, this.resExtra) + chunk.length);
    const headEnd = putResponseHead(buf, 0, this.resStatus, headers, this.resLength, this.resExtra);
    chunk.copy(buf, headEnd);
    releaseChunk(); // copied
    const ok = w.write(headView(buf, headEnd + chunk.length));
    if (!w.flushed) retireScratch(buf);
    return ok;
  }

  get body(): BodySink {
    return this;
  }

  // ----- BodySink (the response body)

  data(chunk: Buffer): boolean {
    if (this.done) {
      releaseChunk();
      return true;
    }
    this.conn.idleTicks = 0;
    const s = this.socket;
    let ok: boolean;
    if (this.headPending) {
      if (this.out === 'raw') return this.flushHeadWith(chunk);
      s.cork();
      this.flushHead();
    }
    switch (this.out) {
      case 'raw':
        ok = this.writer.write(chunk);
        if (this.writer.flushed) releaseChunk(); // written through: nothing references it
        return ok;
      case 'encode-chunks':
        if (chunk.length === 0) {
          ok = true;
          break;
        }
        if (!s.writableCorked) s.cork(); // size line, data, CRLF in one write
        s.write(chunk.length.toString(16) + '\r\n', 'latin1');
        s.write(chunk);
        ok = s.write(CRLF);
        break;
      case 'decode-to-close':
        if (this.decoder) this.decoder.feed(chunk);
        else s.write(chunk);
        ok = s.writableLength < 65536;
        break;
      default:
        ok = true;
    }
    if (s.writableCorked) s.uncork();
    // Written through to the kernel at once: nothing references the chunk any more.
    if (this.writer.flushed) releaseChunk();
    return ok;
  }

  onDrain(cb: () => void): void {
    this.writer.onDrain(cb);
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.flushHead();
    if (this.out === 'encode-chunks') this.writer.write(LAST_CHUNK);
    if (this.out === 'decode-to-close') this.keepAlive = false;
    this.conn.exchangeDone(this, this.keepAlive);
  }

  abort(): void {
    this.reset();
  }

  reset(): void {
    this.done = true;
    this.socket.destroy();
  }

  tunnel(upstream: Socket, upstreamHead: Buffer): void {
    // After 101 Switching Protocols both sides speak the new protocol: splice the sockets.
    this.headSent = true;
    this.done = true;
    const down = this.socket;
    down.removeAllListeners('data');
    this.conn.stopIdleTimer();
    down.write(upstreamHead);
    const early = this.conn.takePending();
    if (early) upstream.write(early);
    spliceInto(down, upstream);
    spliceInto(upstream, down);
    down.on('close', () => upstream.destroy());
    upstream.on('close', () => down.destroy());
    upstream.on('error', () => down.destroy());
    down.resume();
  }

  downstreamClosed(): void {
    this.requestBody?.abort(new Error('client closed the connection'));
    if (!this.done) {
      this.done = true;
      this.onDownstreamClose?.();
    }
  }
}
