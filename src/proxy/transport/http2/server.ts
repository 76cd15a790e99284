// One downstream HTTP/2 connection: node:http2 (nghttp2) does the framing, HPACK and flow
// control; this file turns each stream into a protocol-neutral exchange for the request path and
// guards the session (stream limit, reset floods, idle time, drain).
//
// Why `performServerHandshake` and not `createServer().emit('connection', socket)`: the socket
// arrives already accepted (and sniffed, maybe TLS-terminated); a Server object would only add an
// ALPN gate that refuses TLS sockets without negotiated "h2" (prior knowledge over TLS) and
// listener-wide options, while each listener's limits can change with every snapshot. The
// session options are built per connection; that is a handful of fields, not per request.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type {
  IncomingHttpHeaders,
  ServerHttp2Session,
  ServerHttp2Stream,
  ServerSessionOptions,
} from 'node:http2';
import type { DownstreamRequest, DownstreamResponse } from '../../http/exchange.js';
import { ERROR_HEADER } from '../../http/errors.js';
import { HeaderList } from '../../http/headers.js';
import type { ConnectionInfo } from '../connection-info.js';
import { createLogger } from '../../telemetry/log.js';
import { fieldsFromObject, fieldsFromRaw, parseLength } from './fields.js';
import { Http2ServerExchange, type StreamAccounting } from './server-exchange.js';
import { Http2StreamBody } from './stream-body.js';
import { nodeHttp2 } from './node-http2.js';
import { ENHANCE_YOUR_CALM, FLAG_END_STREAM } from './wire-codes.js';

const log = createLogger('http2');

export interface Http2ServerLimits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS we announce; nghttp2 refuses streams past it. */
  maxConcurrentStreams: number;
  /** Streams the client may cut short per second before the connection is closed. */
  maxResetsPerSecond: number;
  /** Close the connection after this long without a stream in flight; 0 = never. */
  idleTimeoutMs: number;
  /** Decoded header block size (SETTINGS_MAX_HEADER_LIST_SIZE); larger blocks reset the stream. */
  maxHeaderBytes: number;
  /** Header fields per block; default node's 128. */
  maxHeaderCount?: number;
}

export type Http2ExchangeHandler = (req: DownstreamRequest, res: DownstreamResponse) => void;

export interface Http2Connection {
  /** GOAWAY: no new streams; streams in flight finish, then the connection closes. */
  drain(): void;
  /** Closes the connection now, resetting streams in flight. */
  close(): void;
}

/** Connection-level receive window: more than the 64 KiB default keeps several streams moving. */
const CONNECTION_WINDOW = 1024 * 1024;

function sessionOptions(limits: Http2ServerLimits): ServerSessionOptions {
  return {
    settings: {
      maxConcurrentStreams: limits.maxConcurrentStreams,
      maxHeaderListSize: limits.maxHeaderBytes,
      enableConnectProtocol: false,
    },
    // Bounds what one connection may make this process hold (nghttp2 buffers, queued frames);
    // past it new streams are refused. Node's default, stated because it is a limit we rely on.
    maxSessionMemory: 10,
    // Streams opened past maxConcurrentStreams, and protocol-violating frames, are abuse signs:
    // node closes the session after this many (its defaults; nghttp2 also rate-limits RST_STREAM
    // floods itself since the 2023 "rapid reset" fix). Our own count below covers resets of
    // streams that were accepted, which is what costs upstream work.
    maxSessionRejectedStreams: 100,
    maxSessionInvalidFrames: 1000,
    ...(limits.maxHeaderCount !== undefined ? { maxHeaderListPairs: limits.maxHeaderCount + 4 } : {}), // + pseudo-headers
  };
}

/** Per-connection state: stream count (idle detection) and the reset rate window. */
class SessionGuard implements StreamAccounting {
  active = 0;
  private windowStart = 0;
  private resets = 0;

  constructor(
    private readonly session: ServerHttp2Session,
    private readonly info: ConnectionInfo,
    private readonly maxResetsPerSecond: number,
  ) {}

  streamClosed(premature: boolean): void {
    this.active--;
    if (!premature) return;
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.resets = 0;
    }
    if (++this.resets > this.maxResetsPerSecond && !this.session.destroyed) {
      log.warn('closing HTTP/2 connection: client resets streams too fast', {
        listener: this.info.listener,
        remote: `${this.info.remoteAddress}:${this.info.remotePort}`,
        limit: this.maxResetsPerSecond,
      });
      // GOAWAY(ENHANCE_YOUR_CALM) tells a well-meaning client why; then the socket goes. (With no
      // error argument node would send NO_ERROR whatever the code says.)
      this.session.destroy(new Error('stream reset flood'), ENHANCE_YOUR_CALM);
    }
  }
}

export function serveHttp2(
  socket: Socket | TLSSocket,
  initial: Buffer | undefined,
  info: ConnectionInfo,
  limits: Http2ServerLimits,
  handler: Http2ExchangeHandler,
): Http2Connection {
  // Bytes the sniffer read go back in front; the session reads what is buffered first.
  if (initial !== undefined && initial.length > 0) socket.unshift(initial);
  const session = nodeHttp2().performServerHandshake(socket, sessionOptions(limits));
  // The session reads the socket natively from now on, but only once the socket reads at all (one
  // accepted with pauseOnConnect never started). node moves bytes buffered in the socket (the
  // unshifted ones) into the session on the next tick; resuming before that would hand them to
  // the socket's JS readers instead, so the resume waits one tick too.
  process.nextTick(resumeSocket, socket);
  const guard = new SessionGuard(session, info, limits.maxResetsPerSecond);
  const scheme = info.tls ? 'https' : 'http';

  session.on('error', noop); // socket errors, protocol errors: 'close' follows and streams see it
  session.setLocalWindowSize(CONNECTION_WINDOW);
  if (limits.idleTimeoutMs > 0) {
    // The session timer restarts on every frame; when it fires with nothing in flight the
    // connection is idle. A stream ending is itself traffic, so the timer re-arms after it.
    // 'on', not setTimeout's callback: that one is registered with once() and would go deaf
    // after a first firing while streams were still in flight.
    session.setTimeout(limits.idleTimeoutMs);
    session.on('timeout', () => {
      if (guard.active === 0) session.close();
    });
  }

  session.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, raw?: string[]) => {
    guard.active++;
    const method = headers[':method'] ?? 'GET';
    const path = headers[':path'];
    const endStream = (flags & FLAG_END_STREAM) !== 0;
    const body = endStream ? undefined : new Http2StreamBody(stream, parseLength(headers['content-length']));
    const ct = headers['content-type'];
    const grpc = ct !== undefined && ct.startsWith('application/grpc');
    const ex = new Http2ServerExchange(stream, body, method === 'HEAD', grpc, guard);
    if (path === undefined) {
      // CONNECT (no :path): tunnels over HTTP/2 are not offered.
      notImplemented(ex, 'CONNECT is not supported over HTTP/2');
      return;
    }
    const req: DownstreamRequest = {
      method,
      path,
      authority: headers[':authority'] ?? headers.host ?? '',
      scheme,
      headers: raw !== undefined ? fieldsFromRaw(raw) : fieldsFromObject(headers),
      protocol: 'http2',
      body,
      conn: info,
      grpc,
      upgrade: undefined,
    };
    try {
      handler(req, ex);
    } catch (err) {
      // A bug in the request path must cost one stream, not the process with every connection.
      log.error('request handler threw', { error: err instanceof Error ? err.stack : String(err), path });
      ex.reset();
    }
  });

  return {
    drain: () => {
      if (!session.closed && !session.destroyed) session.close();
    },
    close: () => {
      if (!session.destroyed) session.destroy();
    },
  };
}

function notImplemented(ex: Http2ServerExchange, message: string): void {
  const body = Buffer.from(`MAILLE_ERR_NOT_IMPLEMENTED: ${message}\n`);
  const headers = new HeaderList([ERROR_HEADER, 'content-type'], ['MAILLE_ERR_NOT_IMPLEMENTED', 'text/plain; charset=utf-8']);
  ex.writeHead({ status: 501, headers, encoding: 'plain', length: body.length });
  ex.data(body);
  ex.end();
}

function resumeSocket(socket: Socket): void {
  if (!socket.destroyed) socket.resume();
}

function noop(): void {}
