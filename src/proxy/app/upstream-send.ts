// Sends one try to one endpoint over the cluster's protocol, reporting back through one
// callback shape whatever the wire (HTTP/1 pool or HTTP/2 session).
import type { Socket } from 'node:net';
import type { HeaderList } from '../http/headers.js';
import type { BodySource } from '../http/exchange.js';
import type { Framing } from '../transport/http1/framing.js';
import type { EndpointState } from '../upstream/types.js';
import type { UpstreamCluster } from './upstream-cluster.js';
import type { Http1ClientConnection, UpstreamResponseHandler } from '../transport/http1/client-connection.js';
import type { ResponseHead } from '../transport/http1/head-parser.js';
import type { AcquireResult, Http1Pool } from '../upstream/pool/http1-pool.js';
import { http1BodyMode, http1ExtraLines, http1Length, type OutgoingRequest } from './upstream-request.js';

export interface TryHandler {
  /** Could not get a connection: refused, unreachable, timed out, or the pending queue is full. */
  noConnection(reason: 'connect-failure' | 'pending-overflow', message: string): void;
  interim(status: number, headers: HeaderList): void;
  /** Final response head. `encoding` undefined: no body. */
  head(status: number, headers: HeaderList, encoding: 'plain' | 'chunked-wire' | undefined, length: number | undefined): void;
  upgrade(rawHead: Buffer, socket: Socket): void;
  data(chunk: Buffer): boolean;
  end(trailers: HeaderList | undefined): void;
  /** Reset or protocol error; `refusedStream` for HTTP/2 REFUSED_STREAM. */
  fail(kind: 'reset' | 'protocol' | 'refused-stream', message: string, responseStarted: boolean, reusedConnection: boolean): void;
}

export interface TryControl {
  /** Gives up on the try (timeout, client gone); the connection is closed, not reused. */
  abandon(): void;
  pause(): void;
  resume(): void;
}

export function sendTry(
  cluster: UpstreamCluster,
  ep: EndpointState,
  out: OutgoingRequest,
  body: BodySource | undefined,
  h: TryHandler,
): TryControl {
  if (cluster.protocol === 'http2') return cluster.http2.send(ep, out, body, h);
  return sendHttp1(cluster, ep, out, body, h);
}

function sendHttp1(cluster: UpstreamCluster, ep: EndpointState, out: OutgoingRequest, body: BodySource | undefined, h: TryHandler): TryControl {
  const t = new Http1Try(cluster.http1, out, body, h);
  cluster.http1.acquire(ep, t.onAcquired);
  return t;
}

/**
 * One try over an HTTP/1 pool connection: the pool's callback, the connection's response
 * handler and the caller's control in one object (one allocation per try, not a dozen closures).
 */
class Http1Try implements TryControl, UpstreamResponseHandler {
  private conn: Http1ClientConnection | undefined;
  private abandoned = false;
  private reused = false;

  constructor(
    private readonly pool: Http1Pool,
    private readonly out: OutgoingRequest,
    private readonly body: BodySource | undefined,
    private readonly h: TryHandler,
  ) {}

  readonly onAcquired = (r: AcquireResult): void => {
    if (this.abandoned) {
      if (r.ok) this.pool.release(r.conn);
      return;
    }
    if (!r.ok) return this.h.noConnection(r.reason, r.message);
    const conn = (this.conn = r.conn);
    this.reused = conn.reused;
    const out = this.out;
    const mode = http1BodyMode(out.body);
    conn.send(out, http1Length(out, mode), http1ExtraLines(out, mode), this.body, mode, this, this.pool.release);
  };

  // ----- TryControl

  abandon(): void {
    this.abandoned = true;
    if (this.conn) this.conn.abandon();
    else this.pool.cancel(this.onAcquired);
  }

  pause(): void {
    this.conn?.pause();
  }

  resume(): void {
    this.conn?.resume();
  }

  // ----- UpstreamResponseHandler

  interim(status: number, headers: HeaderList): void {
    this.h.interim(status, headers);
  }

  head(head: ResponseHead, framing: Framing): void {
    switch (framing.kind) {
      case 'none':
        return this.h.head(head.status, head.headers, undefined, undefined);
      case 'length':
        return this.h.head(head.status, head.headers, 'plain', framing.length);
      case 'chunked':
        return this.h.head(head.status, head.headers, 'chunked-wire', undefined);
      default:
        return this.h.head(head.status, head.headers, 'plain', undefined);
    }
  }

  upgrade(_head: ResponseHead, raw: Buffer, socket: Socket): void {
    this.h.upgrade(raw, socket);
  }

  data(chunk: Buffer): boolean {
    return this.h.data(chunk);
  }

  end(): void {
    this.h.end(undefined);
  }

  fail(kind: 'reset' | 'protocol', err: Error, started: boolean): void {
    this.h.fail(kind, err.message, started, this.reused);
  }
}
