// What a snapshot's listeners need for TLS, built once per snapshot (reading key files and
// parsing PEM is far too slow for a connection's path, and a bad certificate must reject the
// snapshot, not fail the first handshake): the server contexts to terminate with, the client
// certificates they require (Istio's MUTUAL), and the table of server names passed through
// untouched (Istio's PASSTHROUGH).
import { readFileSync } from 'node:fs';
import type { SecureContext, TLSSocket, TLSSocketOptions } from 'node:tls';
import { nodeTls } from './node-tls.js';
import type { Listener, ListenerClientAuth, ListenerSniCertificate, TcpDestination } from '../../model/snapshot.js';
import { clientCertificateProblem } from './client-auth.js';
import { passthroughTable } from './passthrough-table.js';

export interface TlsTermination {
  /** For the server-side TLSSocket: certificate (by SNI), ALPN, whether to ask for a client certificate. */
  readonly options: TLSSocketOptions;
  /** After the handshake: why the client's certificate is refused, if it is (MUTUAL only). */
  readonly checkClient: ((socket: TLSSocket) => string | undefined) | undefined;
}

export interface ListenerTlsContext {
  /** Terminating TLS here; undefined on a listener that only passes TLS through. */
  readonly terminate: TlsTermination | undefined;
  /** The destinations of a server name passed through (undefined: not passed through). */
  readonly passthrough: ((serverName: string | undefined) => readonly TcpDestination[] | undefined) | undefined;
}

function pem(inline: string | undefined, file: string | undefined, what: string, listener: string): string {
  if (inline !== undefined) return inline;
  try {
    return readFileSync(file!, 'utf8');
  } catch (err) {
    throw new Error(`listener ${listener}: tls.${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

type CertificateSource = Pick<ListenerSniCertificate, 'certificatePem' | 'privateKeyPem' | 'certFile' | 'keyFile' | 'clientAuth'>;

/** One certificate of a listener, and the client certificates it requires. */
interface Served {
  readonly context: SecureContext;
  readonly clientAuth: ListenerClientAuth | undefined;
}

function served(c: CertificateSource, minVersion: 'TLSv1.2' | 'TLSv1.3', listener: string, at: string): Served {
  const cert = pem(c.certificatePem, c.certFile, `${at}certFile`, listener);
  const key = pem(c.privateKeyPem, c.keyFile, `${at}keyFile`, listener);
  const auth = c.clientAuth;
  // The CA bundle replaces the public roots: only clients it signed are trusted.
  const ca = auth ? pem(auth.caCertificatesPem, auth.caCertificatesFile, `${at}clientAuth.caCertificatesFile`, listener) : undefined;
  try {
    return { context: nodeTls().createSecureContext({ cert, key, minVersion, ...(ca !== undefined ? { ca } : {}) }), clientAuth: auth };
  } catch (err) {
    throw new Error(`listener ${listener}: tls${at ? `.${at.slice(0, -1)}` : ''}: certificate, key or CA unusable: ${(err as Error).message}`);
  }
}

function termination(l: Listener & { tls: NonNullable<Listener['tls']> }): TlsTermination {
  const minVersion = l.tls.minVersion ?? 'TLSv1.2';
  const fallback = served(l.tls, minVersion, l.name, '');
  const all = [fallback];
  const options: TLSSocketOptions = { secureContext: fallback.context, ALPNProtocols: l.tls.alpn ?? ['h2', 'http/1.1'] };
  let pick = (_serverName: string | undefined): Served => fallback;
  const sni = l.tls.sni ?? [];
  if (sni.length > 0) {
    const entries = sni.map((c, i) => ({ names: c.serverNames, value: served(c, minVersion, l.name, `sni[${i}].`) }));
    all.push(...entries.map((e) => e.value));
    const byName = sniTable(entries);
    pick = (serverName) => (serverName ? byName(serverName) : undefined) ?? fallback;
    options.SNICallback = (serverName, cb) => cb(null, pick(serverName).context);
  }
  const asking = all.filter((s) => s.clientAuth !== undefined).length;
  if (asking === 0) return { options, checkClient: undefined };
  // The request is per connection, before SNI picks a certificate: ask every client when any
  // name wants one. A client without one is refused in the handshake only when every name
  // requires one; otherwise after it, for the names that do.
  options.requestCert = true;
  options.rejectUnauthorized = all.every((s) => s.clientAuth !== undefined && s.clientAuth.optional !== true);
  return {
    options,
    checkClient: (socket) => {
      const auth = pick(socket.servername || undefined).clientAuth;
      return auth ? clientCertificateProblem(socket, auth) : undefined;
    },
  };
}

export function buildTlsContexts(listeners: readonly Listener[]): Map<string, ListenerTlsContext> {
  const out = new Map<string, ListenerTlsContext>();
  for (const l of listeners) {
    if (!l.tls && !l.sniRoutes) continue;
    out.set(l.name, {
      terminate: l.tls ? termination({ ...l, tls: l.tls }) : undefined,
      passthrough: l.sniRoutes ? passthroughTable(l.sniRoutes) : undefined,
    });
  }
  return out;
}

/**
 * Exact names first, then `*.suffix` for one more label (as Istio and Envoy match server
 * names); the first entry naming a name wins. Built once: a handshake does two map lookups.
 */
function sniTable<T>(entries: { names: readonly string[]; value: T }[]): (serverName: string) => T | undefined {
  const exact = new Map<string, T>();
  const wildcard = new Map<string, T>();
  for (const e of entries) {
    for (const raw of e.names) {
      const name = raw.toLowerCase();
      const table = name.startsWith('*.') ? wildcard : exact;
      const key = name.startsWith('*.') ? name.slice(1) : name;
      if (!table.has(key)) table.set(key, e.value);
    }
  }
  return (serverName) => {
    const name = serverName.toLowerCase();
    const dot = name.indexOf('.');
    return exact.get(name) ?? (dot > 0 ? wildcard.get(name.slice(dot)) : undefined);
  };
}
