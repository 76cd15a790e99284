// Keep-alive connection pool of one cluster for HTTP/1 upstreams.
//
// Connections are reused most-recently-idle first (warm TCP windows, and cold ones age out by
// the idle timeout). The cluster-wide connection count is a circuit breaker: at the limit a
// request waits in a bounded queue, and past the queue's bound it is refused at once.
import { connect, type Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { nodeTls } from '../../transport/node-tls.js';
import { Http1ClientConnection } from '../../transport/http1/client-connection.js';
import { bindReadPort, newReadPort, onreadOptions, UPSTREAM_BUFFER } from '../../transport/http1/read-port.js';

export interface PoolSettings {
  maxConnections: number;
  maxPendingRequests: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** 0 = unlimited. */
  maxRequestsPerConnection: number;
  /** Mesh mTLS: options for each new connection (read per connection, so rotation applies). */
  tls?: () => ConnectionOptions;
}

export interface PoolHooks {
  connOpened(): void;
  connClosed(): void;
}

/** Where to connect: an endpoint's state object fits as it is (no object built per request). */
export interface PoolTarget {
  key: string;
  endpoint: { address: string; port: number };
}

export type AcquireResult =
  | { readonly ok: true; readonly conn: Http1ClientConnection }
  | { ok: false; reason: 'connect-failure'; message: string }
  | { ok: false; reason: 'pending-overflow'; message: string };

interface Waiter {
  target: PoolTarget;
  cb: (r: AcquireResult) => void;
}

export class Http1Pool {
  private readonly idle = new Map<string, Http1ClientConnection[]>();
  private readonly waiters: Waiter[] = [];
  /** Connections open or opening. */
  open = 0;
  private closedPool = false;
  /**
   * Idle timeout of pooled connections: one coarse sweep of the idle lists, four times per
   * timeout, instead of a socket timer re-armed per request. A connection is closed between 1×
   * and 1.25× the timeout after it went idle.
   */
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepTickMs = 0;

  constructor(
    private settings: PoolSettings,
    private readonly hooks: PoolHooks,
  ) {}

  /** A new snapshot may change limits; existing connections stay. */
  updateSettings(settings: PoolSettings): void {
    this.settings = settings;
  }

  get pending(): number {
    return this.waiters.length;
  }

  acquire(target: PoolTarget, cb: (r: AcquireResult) => void): void {
    const list = this.idle.get(target.key);
    while (list && list.length > 0) {
      const conn = list.pop()!;
      if (!conn.closed) return cb(conn.acquired);
    }
    if (this.open < this.settings.maxConnections) return this.connect(target, cb);
    if (this.waiters.length >= this.settings.maxPendingRequests) {
      return cb({
        ok: false,
        reason: 'pending-overflow',
        message: `${this.open} connections open (maxConnections ${this.settings.maxConnections}) and ${this.waiters.length} requests waiting (maxPendingRequests ${this.settings.maxPendingRequests})`,
      });
    }
    this.waiters.push({ target, cb });
  }

  /** Removes a queued request that gave up (timeout, client gone). */
  cancel(cb: (r: AcquireResult) => void): void {
    const i = this.waiters.findIndex((w) => w.cb === cb);
    if (i !== -1) this.waiters.splice(i, 1);
  }

  /** Called when a connection finished an exchange (or closed). */
  readonly release = (conn: Http1ClientConnection): void => {
    const max = this.settings.maxRequestsPerConnection;
    const keep = !this.closedPool && conn.reusable && !conn.closed && (max === 0 || conn.served < max);
    if (!keep) {
      if (!conn.closed) conn.socket.destroy();
      return; // the 'close' handler serves waiters
    }
    const key = conn.key;
    const wi = this.waiters.findIndex((w) => w.target.key === key);
    if (wi !== -1) {
      const w = this.waiters.splice(wi, 1)[0];
      return w.cb(conn.acquired);
    }
    if (this.waiters.length > 0) {
      // Someone waits for another endpoint: trade this connection for one to theirs.
      conn.socket.destroy();
      return;
    }
    conn.idleTicks = 0;
    this.armSweep();
    let list = this.idle.get(key);
    if (!list) this.idle.set(key, (list = []));
    list.push(conn);
  };

  private connect(target: PoolTarget, cb: (r: AcquireResult) => void): void {
    this.open++;
    this.hooks.connOpened();
    const tls = this.settings.tls?.();
    let socket: Socket;
    if (tls) {
      socket = nodeTls().connect({ ...tls, host: target.endpoint.address, port: target.endpoint.port });
    } else {
      // Plaintext: read in `onread` mode (see read-port.ts); TLS sockets cannot.
      const port = newReadPort(UPSTREAM_BUFFER);
      socket = connect({ host: target.endpoint.address, port: target.endpoint.port, onread: onreadOptions(port) });
      bindReadPort(socket, port);
    }
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.destroy();
      cb({ ok: false, reason: 'connect-failure', message: `connect to ${target.key} timed out after ${this.settings.connectTimeoutMs} ms` });
    }, this.settings.connectTimeoutMs);
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cb(new Http1ClientConnection(socket, target.key).acquired);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const why =
        err.code === 'ECONNREFUSED'
          ? 'connection refused by'
          : tls && !err.code?.startsWith('E')
            ? `mTLS handshake failed (${err.message}) with`
            : `${err.code ?? err.message} connecting to`;
      cb({ ok: false, reason: 'connect-failure', message: `${why} ${target.key}` });
    });
    socket.once('close', () => {
      this.open--;
      this.hooks.connClosed();
      this.forgetIdle(socket);
      this.serveWaiter();
    });
  }

  /** Drops a closed connection from the idle list. */
  private forgetIdle(socket: Socket): void {
    for (const list of this.idle.values()) {
      const i = list.findIndex((c) => c.socket === socket);
      if (i !== -1) {
        list.splice(i, 1);
        return;
      }
    }
  }

  private armSweep(): void {
    const ms = this.settings.idleTimeoutMs;
    const tick = ms > 0 ? Math.max(1, Math.ceil(ms / 4)) : 0;
    if (tick === this.sweepTickMs) return;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.sweepTickMs = tick;
    if (tick > 0) {
      this.sweepTimer = setInterval(this.sweep, tick);
      this.sweepTimer.unref();
    }
  }

  private readonly sweep = (): void => {
    let expired: Http1ClientConnection[] | undefined;
    for (const list of this.idle.values()) {
      for (const c of list) if (++c.idleTicks > 4) (expired ??= []).push(c);
    }
    if (expired) for (const c of expired) c.onIdle(); // closes; the 'close' handler unlists it
  };

  /** A connection slot freed up: open a connection for the longest-waiting request. */
  private serveWaiter(): void {
    if (this.closedPool || this.waiters.length === 0 || this.open >= this.settings.maxConnections) return;
    const w = this.waiters.shift()!;
    this.connect(w.target, w.cb);
  }

  /** Closes idle connections; connections in use close when their exchange ends. */
  close(): void {
    this.closedPool = true;
    for (const list of this.idle.values()) for (const c of list) c.socket.destroy();
    this.idle.clear();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const w of this.waiters.splice(0)) {
      w.cb({ ok: false, reason: 'connect-failure', message: 'cluster removed from the configuration' });
    }
  }
}
