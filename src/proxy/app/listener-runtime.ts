// One listening socket of the proxy and the connections it accepted. Decides each connection's
// protocol (declared or sniffed) and hands it to the HTTP/1, HTTP/2 or TCP stack.
import { createServer, Socket, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket, type TLSSocketOptions } from 'node:tls';
import { verifyPeerIdentity } from '../../control-plane/ca/spiffe.js';
import type { MeshIdentity } from '../transport/mesh-identity.js';
import { replayingStream } from '../transport/replaying-stream.js';
import type { ConnectionInfo } from '../transport/connection-info.js';
import type { Listener } from '../../model/snapshot.js';
import { newConnectionInfo } from '../transport/connection-info.js';
import { detectProtocol, type Detected } from '../transport/detect.js';
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
    if (tls) this.terminateTls(socket, info, { secureContext: tls.context, ALPNProtocols: tls.alpn, ...(tls.sni ? { SNICallback: tls.sni } : {}) }, undefined);
    else this.choose(socket, info, undefined);
  };

  /**
   * Mesh mTLS. STRICT: TLS with a verified client certificate, or nothing. PERMISSIVE: a first
   * byte of 0x16 (a TLS handshake record) takes the mTLS path, anything else (or silence, for
   * server-speaks-first protocols) the plaintext one.
   */
  private acceptMesh(raw: Socket, info: ConnectionInfo, mode: 'STRICT' | 'PERMISSIVE', identity: MeshIdentity): void {
    const options = { secureContext: identity.secureContext, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2', 'http/1.1'] };
    if (mode === 'STRICT') return this.terminateTls(raw, info, options, identity.trustDomain);
    raw.resume();
    const timer = setTimeout(() => {
      raw.off('data', onFirst);
      raw.pause();
      this.choose(raw, info, undefined);
    }, this.config.detectTimeoutMs ?? LISTENER_DEFAULTS.detectTimeoutMs);
    const onFirst = (first: Buffer): void => {
      clearTimeout(timer);
      raw.pause();
      if (first[0] === 0x16) return this.terminateTls(replayingStream(raw, first), info, options, identity.trustDomain, raw);
      raw.unshift(first);
      this.choose(raw, info, undefined);
    };
    raw.once('data', onFirst);
  }

  /**
   * TLS termination, for a listener's own certificate or for mesh mTLS (`trustDomain` set: the
   * client must present exactly one SPIFFE ID of it). The handshake must finish within the header
   * timeout (slow-handshake abuse).
   */
  private terminateTls(transport: Duplex, info: ConnectionInfo, options: TLSSocketOptions, trustDomain: string | undefined, raw?: Socket): void {
    const socket = new TLSSocket(transport, { ...options, isServer: true });
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
      if (trustDomain !== undefined) {
        try {
          // A TLSSocket made by hand (not by tls.Server) does not enforce rejectUnauthorized:
          // check the chain ourselves, exactly as tls.Server does, and fail closed.
          const verifyError = chainVerifyError(socket);
          if (verifyError) throw new Error(`client certificate not trusted: ${verifyError}`);
          info.peerIdentity = verifyPeerIdentity(socket.getPeerCertificate(), trustDomain).uri;
        } catch (err) {
          log.debug('mTLS peer refused', { listener: info.listener, error: (err as Error).message });
          info.countError('MAILLE_ERR_PEER_IDENTITY');
          socket.destroy();
          return;
        }
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

/** The chain verification result of a server-side TLS socket (`undefined`: trusted). */
function chainVerifyError(socket: TLSSocket): string | undefined {
  const handle = (socket as unknown as { ssl?: { verifyError(): (Error & { code?: string }) | null } }).ssl;
  if (!handle || typeof handle.verifyError !== 'function') return 'cannot check the certificate chain';
  const err = handle.verifyError();
  return err ? (err.code ?? err.message) : undefined;
}
