// The discovery server (port 15012): one HTTP/2 + TLS listener for the proxies' snapshot streams
// and their certificate requests. See protocol.ts for the wire protocol.
//
// Why node:http2 and not @grpc/grpc-js: (1) this listener must request a client certificate without
// requiring one (a bootstrapping proxy has none yet) and refuse a bad one with OpenSSL's reason;
// grpc-js offers optional client certificates and certificate rotation only through its
// `experimental` API, and hides why a certificate failed. (2) Every sidecar loads the client: grpc-js
// costs ~9 MB RSS and ~120 ms of startup per process (measured on this machine), node:http2 nothing.
// (3) Our messages are JSON, so gRPC's protobuf tooling would not apply anyway.
import http2, { type Http2SecureServer, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { createLogger } from '../../proxy/telemetry/log.js';
import { ChangeDebouncer } from './debounce.js';
import { DiscoveryError } from './errors.js';
import { replyError } from './http-util.js';
import { pingOrDestroy } from './keepalive.js';
import { DISCOVERY_PORT, SIGN_PATH, STREAM_PATH } from './protocol.js';
import type { ProxyConnection } from './proxy-connection.js';
import { handleSign } from './sign-handler.js';
import { handleStream, type StreamContext } from './stream-handler.js';
import type { AffectedNodes, DiscoveryLog, DiscoveryServer, DiscoveryServerOptions } from './types.js';

export type * from './types.js';

const DEFAULT_DEBOUNCE_MS = 100;
const DEFAULT_DEBOUNCE_MAX_MS = 1000;
const DEFAULT_KEEPALIVE_MS = 30_000;
const DEFAULT_HELLO_TIMEOUT_MS = 10_000;

export async function startDiscoveryServer(opts: DiscoveryServerOptions): Promise<DiscoveryServer> {
  const log: DiscoveryLog = opts.log ?? createLogger('discovery');
  const connections = new Map<string, ProxyConnection>();
  const sessions = new Set<ServerHttp2Session>();
  // The secure-context options, kept whole: setSecureContext() replaces all of them, minVersion included.
  const creds = { cert: opts.certChainPem, key: opts.keyPem, ca: opts.trustBundlePem, minVersion: 'TLSv1.3' as const };
  const auth = { trustDomain: opts.trustDomain, authenticate: opts.authenticate };

  const server: Http2SecureServer = http2.createSecureServer({
    ...creds,
    // Request a certificate but let the handshake finish without one (bootstrap with a token);
    // auth.ts refuses unverified certificates per call, with the reason.
    requestCert: true,
    rejectUnauthorized: false,
    allowHTTP1: false,
  });

  const streamCtx: StreamContext = {
    auth,
    provider: opts.provider,
    log,
    helloTimeoutMs: opts.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS,
    connections,
    onConnected: (node, identity) => guard(log, 'onProxyConnected', () => opts.onProxyConnected?.(node, identity)),
    onDisconnected: (node) => guard(log, 'onProxyDisconnected', () => opts.onProxyDisconnected?.(node)),
  };
  const signCtx = { auth, signer: opts.signer, log };

  // Raw connections too: one still in its TLS handshake when close() runs has no session yet, and
  // server.close() would wait for it (and for the session it then opens) forever.
  const sockets = new Set<Socket>();
  let closing = false;
  server.on('connection', (socket: Socket) => {
    if (closing) return void socket.destroy();
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('session', (session: ServerHttp2Session) => {
    if (closing) return void session.destroy();
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', (err) => log.debug('session error', { error: err.message }));
  });
  server.on('tlsClientError', (err) => log.debug('TLS handshake failed', { error: err.message }));
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    stream.on('error', (err) => log.debug('stream error', { error: err.message }));
    route(stream, headers).catch((err: unknown) => {
      const refusal = err instanceof DiscoveryError ? err : new DiscoveryError('MAILLE_ERR_INTERNAL', 'internal error; see the control plane log');
      if (!(err instanceof DiscoveryError)) log.error('discovery request failed', { path: headers[':path'], error: (err as Error).message });
      else log.info('discovery request refused', { path: headers[':path'], code: err.code, error: err.message });
      replyError(stream, refusal);
    });
  });

  const route = async (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> => {
    const path = headers[':path'];
    if (path !== STREAM_PATH && path !== SIGN_PATH) throw new DiscoveryError('MAILLE_ERR_NOT_FOUND', `no such call ${String(path)}`);
    if (headers[':method'] !== 'POST') throw new DiscoveryError('MAILLE_ERR_BAD_REQUEST', `${path} takes POST`);
    if (path === STREAM_PATH) await handleStream(stream, headers, streamCtx);
    else await handleSign(stream, headers, signCtx);
  };

  const host = opts.host ?? '127.0.0.1';
  await listen(server, opts.port ?? DISCOVERY_PORT, host);
  const port = (server.address() as AddressInfo).port;

  // Subscribed only once listening, so a failed start leaves nothing behind.
  const debouncer = new ChangeDebouncer(opts.debounceMs ?? DEFAULT_DEBOUNCE_MS, opts.debounceMaxMs ?? DEFAULT_DEBOUNCE_MAX_MS, (nodes) =>
    pushTo(connections, nodes),
  );
  const unsubscribe = opts.provider.onChange((nodes) => debouncer.add(nodes));
  const keepaliveMs = opts.keepaliveMs ?? DEFAULT_KEEPALIVE_MS;
  const keepalive = setInterval(() => {
    for (const session of sessions) pingOrDestroy(session, Math.min(keepaliveMs, 10_000));
  }, keepaliveMs);
  keepalive.unref();
  log.info('discovery listening', { port });

  let closed: Promise<void> | undefined;
  return {
    port,
    status: () => [...connections.values()].map((c) => c.status()).sort((a, b) => a.nodeId.localeCompare(b.nodeId)),
    updateCredentials(next) {
      if (next.certChainPem !== undefined) creds.cert = next.certChainPem;
      if (next.keyPem !== undefined) creds.key = next.keyPem;
      if (next.trustBundlePem !== undefined) creds.ca = next.trustBundlePem;
      server.setSecureContext({ ...creds });
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        if (typeof unsubscribe === 'function') unsubscribe();
        debouncer.close();
        clearInterval(keepalive);
        closing = true;
        server.close(() => resolve());
        // server.close() waits for open sessions; proxies must see the control plane go at once.
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}

// Recomputing thousands of snapshots in one go would hold the event loop for seconds, and the ACKs
// and new streams waiting behind it with it; yield between batches.
const PUSH_BATCH = 64;

function pushTo(connections: Map<string, ProxyConnection>, nodes: AffectedNodes): void {
  const targets =
    nodes === 'all' ? [...connections.values()] : [...nodes].map((id) => connections.get(id)).filter((c): c is ProxyConnection => c !== undefined);
  // Namespace by namespace: proxies of one namespace mostly share their snapshot's big part (and
  // its delta), so the first of them go out once that part is computed, not after every namespace's.
  targets.sort((a, b) => (a.node.namespace < b.node.namespace ? -1 : a.node.namespace > b.node.namespace ? 1 : 0));
  let i = 0;
  const batch = (): void => {
    for (const end = Math.min(i + PUSH_BATCH, targets.length); i < end; i++) targets[i].push();
    if (i < targets.length) setImmediate(batch);
  };
  batch();
}

function listen(server: Http2SecureServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') {
        reject(new Error(`discovery: port ${port} on ${host} is already in use; stop what holds it or give the control plane another discovery port`));
      } else {
        reject(new Error(`discovery: cannot listen on ${host}:${port}: ${err.message}`));
      }
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** A callback of the registry must not take the stream down with it. */
function guard(log: DiscoveryLog, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log.error(`${what} failed`, { error: (err as Error).message });
  }
}
