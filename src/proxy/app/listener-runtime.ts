// One listening socket of the proxy and the connections it accepted. Decides each connection's
// protocol (declared or sniffed) and hands it to the HTTP/1, HTTP/2 or TCP stack.
import { createServer, Socket, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket, TLSSocketOptions } from 'node:tls';
import { nodeTls } from '../transport/node-tls.js';
import { verifyPeerIdentity } from '../../control-plane/ca/spiffe.js';
import type { MeshIdentity } from '../transport/mesh-identity.js';
import { replayingStream } from '../transport/replaying-stream.js';
import type { ConnectionInfo } from '../transport/connection-info.js';
import type { Listener } from '../../model/snapshot.js';
import { newConnectionInfo } from '../transport/connection-info.js';
import { detectProtocol, type Detected } from '../transport/detect.js';
import { sniffServerName } from '../transport/client-hello.js';
import { chainVerifyError } from '../transport/client-auth.js';
import { pickWeighted } from '../transport/passthrough-table.js';
import type { ListenerTlsContext } from '../transport/tls-contexts.js';
import type { TcpDestination } from '../../model/snapshot.js';
import { Http1ServerConnection, type Http1ServerLimits } from '../transport/http1/server-connection.js';
import { serveHttp2 } from '../transport/http2/server.js';
import { statusText } from '../transport/http1/serialize.js';
import { createLogger } from '../telemetry/log.js';
import type { ListenerMetrics } from '../telemetry/proxy-metrics.js';
import { createHttpHandler, type HttpHandler } from './http-handler.js';
import { proxyTcp } from './tcp-proxy.js';
import { adoptAccepted } from '../transport/http1/read-port.js';
import type { ProxyState } from './state.js';

const log = createLogger('listener');

export const LISTENER_DEFAULTS = {
  maxHeaderBytes: 64 * 1024,
  maxHeaderCount: 100,
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  maxConcurrentStreams: 100,
  maxResetsPerSecond: 200,
  detectTimeoutMs: 300,
  connectTimeoutMs: 10_000,
};

/** Something that holds a client connection and can wind it down. */
interface Tracked {
  drain(): void;
  destroy(): void;
}

const CODEC_ERRORS: Record<number, string> = {
  400: 'MAILLE_ERR_BAD_REQUEST',
  408: 'MAILLE_ERR_REQUEST_TIMEOUT',
  431: 'MAILLE_ERR_HEADERS_TOO_LARGE',
  501: 'MAILLE_ERR_NOT_IMPLEMENTED',
  505: 'MAILLE_ERR_NOT_IMPLEMENTED',
};

/** Answers a request the HTTP/1 codec refused, then closes (the stream is unusable). */
function writeCodecError(socket: Socket, status: number, message: string, countError: (code: string) => void): void {
  const code = CODEC_ERRORS[status] ?? 'MAILLE_ERR_BAD_REQUEST';
  countError(code);
  const body = `${code}: ${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${statusText(status)}\r\nx-maille-error: ${code}\r\n` +
      `content-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export class ListenerRuntime {
  private readonly server: Server;
  private readonly conns = new Set<Tracked>();
  private config!: Listener;
  private handler!: HttpHandler;
  private limits!: Http1ServerLimits;
  private metrics!: ListenerMetrics;
  private draining = false;

  constructor(
    config: Listener,
    private readonly state: () => ProxyState,
  ) {
    this.update(config);
    this.server = createServer({ noDelay: true, pauseOnConnect: true }, this.onConnection);
  }

  get name(): string {
    return this.config.name;
  }

  /** Same socket, new settings (route table name, limits, detection). */
  update(config: Listener): void {
    this.config = config;
    this.handler = createHttpHandler(this.state, config.routeConfig);
    const l = config.limits ?? {};
    this.limits = {
      maxHeaderBytes: l.maxHeaderBytes ?? LISTENER_DEFAULTS.maxHeaderBytes,
      maxHeaderCount: l.maxHeaderCount ?? LISTENER_DEFAULTS.maxHeaderCount,
      headerTimeoutMs: l.headerTimeoutMs ?? LISTENER_DEFAULTS.headerTimeoutMs,
      idleTimeoutMs: l.idleTimeoutMs ?? LISTENER_DEFAULTS.idleTimeoutMs,
    };
    this.metrics = this.state().metrics.forListener(config.name);
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const where = `${this.config.address ?? '127.0.0.1'}:${this.config.port}`;
        reject(new Error(err.code === 'EADDRINUSE' ? `listener ${this.config.name}: ${where} is already in use; choose another port` : `listener ${this.config.name}: cannot listen on ${where}: ${err.message}`));
      };
      this.server.once('error', onError);
      this.server.listen(this.config.port, this.config.address ?? '127.0.0.1', () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : this.config.port);
      });
    });
  }

  private readonly countError = (code: string): void => this.state().metrics.proxyError(code);

  private onConnection = (accepted: Socket): void => {
    if (this.draining) {
      accepted.destroy();
      return;
    }
    const cfg = this.config;
    const state = this.state();
    // Declared plaintext HTTP/1: read in `onread` mode (see read-port.ts). TLS and sniffed
    // connections keep the plain socket.
    const plainHttp1 = cfg.protocol === 'http1' && cfg.routeConfig !== undefined && !cfg.mtls && !state.tlsContexts.has(cfg.name);
    const socket = plainHttp1 ? adoptAccepted(accepted) : accepted;
    const info = newConnectionInfo(cfg.name, cfg.direction ?? 'inbound', socket);
    info.countError = this.countError;
    const metrics = this.metrics;
    metrics.opened();
    socket.once('close', () => metrics.closed());
    socket.on('error', () => {});
    if (cfg.mtls && state.identity) return this.acceptMesh(socket, info, cfg.mtls.mode, state.identity);
    const tls = state.tlsContexts.get(cfg.name);
    if (tls?.passthrough) this.routeByServerName(socket, info, tls);
    else if (tls?.terminate) this.terminateTls(socket, info, tls.terminate.options, tls.terminate.checkClient);
    else this.choose(socket, info, undefined);
  };

  /**
   * TLS passthrough: read the ClientHello's server name; a name a route claims goes as opaque TCP
   * to its destination, TLS untouched; another goes on to termination when the listener has a
   * certificate; anything else (no route, not TLS, too slow) is closed.
   */
  private routeByServerName(socket: Socket, info: ConnectionInfo, tls: ListenerTlsContext): void {
    // Until the hello is read nothing is in flight: drain and close may drop the connection. The
    // stack it goes on to tracks it from then on.
    const waiting: Tracked = { drain: () => socket.destroy(), destroy: () => socket.destroy() };
    this.track(socket, waiting);
    sniffServerName(socket, this.limits.headerTimeoutMs || LISTENER_DEFAULTS.headerTimeoutMs, (hello, initial) => {
      this.conns.delete(waiting);
      if (socket.destroyed) return;
      const destinations = hello.kind === 'hello' ? tls.passthrough?.(hello.serverName) : undefined;
      if (destinations) return this.passThrough(socket, info, destinations, initial);
      if (hello.kind === 'hello' && tls.terminate) return this.terminateTls(replayingStream(socket, initial), info, tls.terminate.options, tls.terminate.checkClient, socket);
      const why = hello.kind === 'invalid' ? hello.reason : `no route for server name ${hello.serverName ?? '(none sent)'}`;
      log.debug('TLS passthrough refused', { listener: info.listener, reason: why });
      // A TLS client asking for a name nothing serves is what an operator wants counted; bytes
      // that are not a ClientHello at all are noise (scanners, wrong port).
      if (hello.kind === 'hello') info.countError('MAILLE_ERR_NO_ROUTE');
      socket.destroy();
    });
  }

  private passThrough(socket: Socket, info: ConnectionInfo, destinations: readonly TcpDestination[], initial: Buffer): void {
    const state = this.state();
    const dest = pickWeighted(destinations);
    const cluster = dest ? state.clusters.get(dest.cluster) : undefined;
    info.protocol = 'tcp';
    // A meshed destination gets the client's TLS inside mesh mTLS, which its sidecar terminates
    // before handing the inner bytes to the app (as Istio's gateways do).
    const mtls = cluster?.mtls;
    const upstreamTls = mtls && state.identity ? state.identity.clientOptions(mtls, []) : undefined;
    this.track(socket, { drain: () => {}, destroy: () => socket.destroy() });
    proxyTcp(socket, initial, cluster, LISTENER_DEFAULTS.connectTimeoutMs, upstreamTls);
  }

  /**
   * Mesh mTLS. STRICT: TLS with a verified client certificate, or nothing. PERMISSIVE: a first
   * byte of 0x16 (a TLS handshake record) takes the mTLS path, anything else (or silence, for
   * server-speaks-first protocols) the plaintext one.
   */
  private acceptMesh(raw: Socket, info: ConnectionInfo, mode: 'STRICT' | 'PERMISSIVE', identity: MeshIdentity): void {
    const options = { secureContext: identity.secureContext, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2', 'http/1.1'] };
    const check = (socket: TLSSocket): string | undefined => meshPeerProblem(socket, info, identity.trustDomain);
    if (mode === 'STRICT') return this.terminateTls(raw, info, options, check);
    raw.resume();
    const timer = setTimeout(() => {
      raw.off('data', onFirst);
      raw.pause();
      this.choose(raw, info, undefined);
    }, this.config.detectTimeoutMs ?? LISTENER_DEFAULTS.detectTimeoutMs);
    const onFirst = (first: Buffer): void => {
      clearTimeout(timer);
      raw.pause();
      if (first[0] === 0x16) return this.terminateTls(replayingStream(raw, first), info, options, check, raw);
      raw.unshift(first);
      this.choose(raw, info, undefined);
    };
    raw.once('data', onFirst);
  }

  /**
   * TLS termination, for a listener's own certificate or for mesh mTLS. `checkPeer` says why the
   * client's certificate is refused, if it is (mesh mTLS: not exactly one SPIFFE ID of the trust
   * domain; MUTUAL: not from the CA, or none of the names). The handshake must finish within the
   * header timeout (slow-handshake abuse).
   */
  private terminateTls(transport: Duplex, info: ConnectionInfo, options: TLSSocketOptions, checkPeer: ((socket: TLSSocket) => string | undefined) | undefined, raw?: Socket): void {
    const socket = new (nodeTls().TLSSocket)(transport, { ...options, isServer: true });
    socket.on('error', () => socket.destroy());
    const timer = setTimeout(() => socket.destroy(), this.limits.headerTimeoutMs || LISTENER_DEFAULTS.headerTimeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      raw?.destroy();
    });
    socket.once('secure', () => {
      clearTimeout(timer);
      // tls.Server clears this flag when it hands out a server socket; we terminate TLS
      // ourselves (to pick the protocol per connection), so we clear it the same way — node:http2
      // otherwise waits for a client-side 'secureConnect' that never comes.
      (socket as TLSSocket & { secureConnecting: boolean }).secureConnecting = false;
      info.tls = true;
      const refused = checkPeer?.(socket);
      if (refused !== undefined) {
        log.debug('TLS client refused', { listener: info.listener, error: refused });
        info.countError('MAILLE_ERR_PEER_IDENTITY');
        socket.destroy();
        return;
      }
      this.choose(socket, info, socket.alpnProtocol);
    });
    if (transport instanceof Socket) transport.resume();
  }

  /** Declared protocol, or sniffed when `detect`; ALPN's answer wins when there is one. */
  private choose(socket: Socket, info: ConnectionInfo, alpn: string | false | null | undefined): void {
    const cfg = this.config;
    if (alpn === 'h2') return this.dispatch(socket, info, 'http2', undefined);
    if (alpn === 'http/1.1') return this.dispatch(socket, info, 'http1', undefined);
    const protocol = cfg.protocol ?? 'detect';
    if (protocol !== 'detect') return this.dispatch(socket, info, protocol, undefined);
    socket.resume();
    detectProtocol(socket, cfg.detectTimeoutMs ?? LISTENER_DEFAULTS.detectTimeoutMs, (p, initial) => this.dispatch(socket, info, p, initial));
  }

  private dispatch(socket: Socket, info: ConnectionInfo, p: Detected, initial: Buffer | undefined): void {
    info.protocol = p;
    const cfg = this.config;
    if (p === 'tcp' || cfg.routeConfig === undefined) {
      const cluster = cfg.tcpCluster ? this.state().clusters.get(cfg.tcpCluster) : undefined;
      const tracked: Tracked = { drain: () => {}, destroy: () => socket.destroy() };
      this.track(socket, tracked);
      proxyTcp(socket, initial, cluster, LISTENER_DEFAULTS.connectTimeoutMs);
      return;
    }
    if (p === 'http2') {
      const l = cfg.limits ?? {};
      const h2 = serveHttp2(socket, initial, info, {
        maxConcurrentStreams: l.maxConcurrentStreams ?? LISTENER_DEFAULTS.maxConcurrentStreams,
        maxResetsPerSecond: l.maxResetsPerSecond ?? LISTENER_DEFAULTS.maxResetsPerSecond,
        idleTimeoutMs: this.limits.idleTimeoutMs,
        maxHeaderBytes: this.limits.maxHeaderBytes,
        maxHeaderCount: this.limits.maxHeaderCount,
      }, this.handler);
      this.track(socket, { drain: () => h2.drain(), destroy: () => h2.close() });
      return;
    }
    const conn = new Http1ServerConnection(socket, info, this.limits, this.handler, (s, status, message) => writeCodecError(s, status, message, this.countError));
    this.track(socket, { drain: () => conn.drain(), destroy: () => socket.destroy() });
    socket.resume();
    conn.start(initial);
  }

  private track(socket: Socket, t: Tracked): void {
    this.conns.add(t);
    socket.once('close', () => this.conns.delete(t));
    if (this.draining) t.drain();
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** Stops accepting and asks every connection to finish what it is doing, then close. */
  drain(): void {
    this.draining = true;
    this.server.close();
    for (const c of this.conns) c.drain();
  }

  /** Closes everything now. */
  close(): void {
    this.draining = true;
    this.server.close();
    for (const c of this.conns) c.destroy();
    log.debug('listener closed', { listener: this.config.name });
  }
}

/**
 * Mesh mTLS: the chain must verify against the trust bundle (checked here, exactly as tls.Server
 * would, failing closed) and carry exactly one SPIFFE ID of the trust domain, which becomes the
 * connection's peer identity.
 */
function meshPeerProblem(socket: TLSSocket, info: ConnectionInfo, trustDomain: string): string | undefined {
  const verifyError = chainVerifyError(socket);
  if (verifyError) return `client certificate not trusted: ${verifyError}`;
  try {
    info.peerIdentity = verifyPeerIdentity(socket.getPeerCertificate(), trustDomain).uri;
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
