// Connection pool of one cluster for HTTP/2 upstreams: a session per endpoint, shared by every
// request to it (streams multiplex), and another one only when the first is at the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS. A session that fails or receives GOAWAY leaves the pool at once;
// its streams in flight finish on their own.
//
// The cluster-wide connection count is the same breaker as for HTTP/1 (maxConnections). At the
// limit, a request joins the least busy session of its endpoint and nghttp2 queues the stream
// until one ends, so there is no separate pending queue.
import { connect as netConnect } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { nodeTls } from '../../transport/node-tls.js';
import type { ClientHttp2Session, ClientSessionOptions } from 'node:http2';
import type { BodySource } from '../../http/exchange.js';
import type { TryControl, TryHandler } from '../../app/upstream-send.js';
import type { OutgoingRequest } from '../../app/upstream-request.js';
import { Http2ClientTry, type StreamHost } from '../../transport/http2/client-stream.js';
import { nodeHttp2 } from '../../transport/http2/node-http2.js';
import type { EndpointState } from '../types.js';

export interface Http2PoolSettings {
  /** Connections open at once, all endpoints together. */
  maxConnections: number;
  connectTimeoutMs: number;
  /** Close a session after this long with no stream in flight. */
  idleTimeoutMs: number;
  /** Streams per session before it is retired (GOAWAY on our side); 0 = unlimited. */
  maxRequestsPerConnection: number;
  /** Mesh mTLS: options for each new connection (read per connection, so rotation applies). */
  tls?: () => ConnectionOptions;
}

export interface Http2PoolHooks {
  connOpened(): void;
  connClosed(): void;
}

/** Until the peer's SETTINGS arrive, assume the limit most servers announce (node's default too). */
const ASSUMED_MAX_STREAMS = 100;

const SESSION_OPTIONS: ClientSessionOptions = {
  settings: { enablePush: false },
  peerMaxConcurrentStreams: ASSUMED_MAX_STREAMS,
};

class Session implements StreamHost {
  connected = false;
  connectError: string | undefined;
  /** In the pool's list, taking new streams (false once retired: closing, failed, GOAWAY). */
  listed = true;
  /** Close as soon as the last stream in flight ends. */
  private closeWhenIdle = false;
  active = 0;
  /** Streams opened (for maxRequestsPerConnection) and closed, however they ended. */
  served = 0;
  finished = 0;
  maxStreams = ASSUMED_MAX_STREAMS;
  session!: ClientHttp2Session;

  constructor(
    readonly key: string,
    private readonly pool: Http2Pool,
  ) {}

  connectFailure(err: Error | undefined): string {
    if (this.connectError === undefined && err !== undefined) this.connectError = describeConnectError(err, this.key);
    return this.connectError ?? `connection to ${this.key} closed before it was established`;
  }

  streamDone(): void {
    this.finished++;
    if (--this.active === 0 && this.closeWhenIdle) this.session.close();
  }

  /** Takes no new streams from now on. */
  retire(): void {
    if (!this.listed) return;
    this.listed = false;
    this.pool.forget(this);
  }

  /**
   * Retires and closes once the streams in flight end. Not `session.close()` at once: its GOAWAY
   * makes nghttp2 refuse streams still queued behind the peer's concurrency limit.
   */
  windDown(): void {
    this.retire();
    if (this.active === 0) this.session.close();
    else this.closeWhenIdle = true;
  }
}

export class Http2Pool {
  private readonly sessions = new Map<string, Session[]>();
  /** Sessions open or opening. */
  open = 0;
  private closedPool = false;

  constructor(
    private settings: Http2PoolSettings,
    private readonly hooks: Http2PoolHooks,
  ) {}

  /** A new snapshot may change limits; sessions already open stay. */
  updateSettings(settings: Http2PoolSettings): void {
    this.settings = settings;
  }

  send(ep: EndpointState, out: OutgoingRequest, body: BodySource | undefined, h: TryHandler): TryControl {
    const s = this.pick(ep);
    if (s === undefined) {
      if (this.closedPool) return refuseSoon(h, 'connect-failure', 'cluster removed from the configuration');
      return refuseSoon(h, 'pending-overflow', `${this.open} connections open (maxConnections ${this.settings.maxConnections}) and none to ${ep.key} takes new streams`);
    }
    // As for HTTP/1 keep-alive: an earlier exchange finished here, so a reset may just be the
    // peer having dropped a connection we still held (worth one fresh try).
    const reused = s.finished > 0;
    s.active++;
    s.served++;
    const t = new Http2ClientTry(s, h, reused);
    t.start(s.session, out, body);
    const max = this.settings.maxRequestsPerConnection;
    if (max > 0 && s.served >= max) s.windDown();
    return t;
  }

  /** Closes idle sessions now and busy ones once their streams end. */
  close(): void {
    this.closedPool = true;
    for (const list of [...this.sessions.values()]) for (const s of [...list]) s.windDown();
  }

  /** Removes a session from the ones new streams may use. */
  forget(s: Session): void {
    const list = this.sessions.get(s.key);
    if (list === undefined) return;
    const i = list.indexOf(s);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) this.sessions.delete(s.key);
  }

  private pick(ep: EndpointState): Session | undefined {
    if (this.closedPool) return undefined;
    const list = this.sessions.get(ep.key);
    let least: Session | undefined;
    if (list !== undefined) {
      // Fill sessions in order: the fewest connections that carry the load.
      for (const s of list) {
        if (s.active < s.maxStreams) return s;
        if (least === undefined || s.active < least.active) least = s;
      }
    }
    if (this.open < this.settings.maxConnections) return this.connect(ep);
    return least;
  }

  private connect(ep: EndpointState): Session {
    const key = ep.key;
    const s = new Session(key, this);
    const { address, port } = ep.endpoint;
    const tls = this.settings.tls?.();
    const session = nodeHttp2().connect(`${tls ? 'https' : 'http'}://${key}`, {
      ...SESSION_OPTIONS,
      // Our own socket, to turn Nagle off: small HEADERS frames must not wait for an ACK.
      createConnection: () =>
        tls
          ? nodeTls().connect({ ...tls, socket: netConnect({ host: address, port, noDelay: true }), ALPNProtocols: ['h2'] })
          : netConnect({ host: address, port, noDelay: true }),
    });
    s.session = session;
    this.open++;
    this.hooks.connOpened();
    let list = this.sessions.get(key);
    if (list === undefined) this.sessions.set(key, (list = []));
    list.push(s);

    const timer = setTimeout(() => {
      if (s.connected) return;
      s.connectError = `connect to ${key} timed out after ${this.settings.connectTimeoutMs} ms`;
      session.destroy();
    }, this.settings.connectTimeoutMs);
    session.once('connect', () => {
      s.connected = true;
      clearTimeout(timer);
    });
    session.on('remoteSettings', (settings) => {
      s.maxStreams = settings.maxConcurrentStreams ?? Number.MAX_SAFE_INTEGER;
    });
    session.on('error', (err: NodeJS.ErrnoException) => {
      if (!s.connected) s.connectFailure(err);
      s.retire();
    });
    session.on('goaway', () => s.retire());
    session.once('close', () => {
      clearTimeout(timer);
      s.retire();
      this.open--;
      this.hooks.connClosed();
    });
    // The timer restarts on every frame; firing with no stream in flight means the session idled.
    // 'on', not setTimeout's callback, which node registers with once(): it must fire again
    // after a first firing during a long, quiet stream.
    session.setTimeout(this.settings.idleTimeoutMs);
    session.on('timeout', () => {
      if (s.active === 0) s.windDown();
    });
    return s;
  }
}

function describeConnectError(err: NodeJS.ErrnoException, key: string): string {
  // Same words as the HTTP/1 pool, so errors read alike whatever the protocol.
  if (err.code === 'ECONNREFUSED') return `connection refused by ${key}`;
  return `${err.code ?? err.message} connecting to ${key}`;
}

/**
 * No session to use: the pool is closed, or the connection limit is reached with none to this
 * endpoint able to take a stream. Told on the next tick, like every other outcome of a try.
 */
function refuseSoon(h: TryHandler, reason: 'connect-failure' | 'pending-overflow', message: string): TryControl {
  let live = true;
  process.nextTick(() => {
    if (live) h.noConnection(reason, message);
  });
  return {
    abandon: () => {
      live = false;
    },
    pause: () => {},
    resume: () => {},
  };
}
