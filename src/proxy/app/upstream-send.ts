// Sends one try to one endpoint over the cluster's protocol, reporting back through one
// callback shape whatever the wire (HTTP/1 pool or HTTP/2 session).
import type { Socket } from 'node:net';
import type { HeaderList } from '../http/headers.js';
import type { BodySource } from '../http/exchange.js';
import type { Framing } from '../transport/http1/framing.js';
import type { EndpointState } from '../upstream/types.js';
import type { UpstreamCluster } from './upstream-cluster.js';
import { http1BodyMode, http1Head, type OutgoingRequest } from './upstream-request.js';

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

function framingToEncoding(f: Framing): { encoding: 'plain' | 'chunked-wire' | undefined; length: number | undefined } {
  switch (f.kind) {
    case 'none':
      return { encoding: undefined, length: undefined };
    case 'length':
      return { encoding: 'plain', length: f.length };
    case 'chunked':
      return { encoding: 'chunked-wire', length: undefined };
    default:
      return { encoding: 'plain', length: undefined };
  }
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
  const pool = cluster.http1;
  let conn: import('../transport/http1/client-connection.js').Http1ClientConnection | undefined;
  let abandoned = false;
  const target = { key: ep.key, address: ep.endpoint.address, port: ep.endpoint.port };
  const onAcquired = (r: import('../upstream/pool/http1-pool.js').AcquireResult): void => {
    if (abandoned) {
      if (r.ok) pool.release(r.conn);
      return;
    }
    if (!r.ok) return h.noConnection(r.reason, r.message);
    conn = r.conn;
    const reused = conn.reused;
    const mode = http1BodyMode(out.body);
    conn.send(http1Head(out, mode), out.method, body, mode, {
      interim: (status, headers) => h.interim(status, headers),
      head: (head, framing) => {
        const e = framingToEncoding(framing);
        h.head(head.status, head.headers, e.encoding, e.length);
      },
      upgrade: (_head, raw, socket) => h.upgrade(raw, socket),
      data: (chunk) => h.data(chunk),
      end: () => h.end(undefined),
      fail: (kind, err, started) => h.fail(kind, err.message, started, reused),
    }, pool.release);
  };
  pool.acquire(target, onAcquired);
  return {
    abandon: () => {
      abandoned = true;
      if (conn) conn.abandon();
      else pool.cancel(onAcquired);
    },
    pause: () => conn?.pause(),
    resume: () => conn?.resume(),
  };
}
