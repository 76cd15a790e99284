// TLS server contexts of a snapshot's listeners, built once per snapshot (reading key files and
// parsing PEM is far too slow for a connection's path, and a bad certificate must reject the
// snapshot, not fail the first handshake).
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Listener, ListenerSniCertificate } from '../../model/snapshot.js';

export interface ListenerTlsContext {
  context: SecureContext;
  alpn: string[];
  /** Picks the certificate by the client's SNI, when the listener has more than one. */
  sni?: (serverName: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;
}

function pem(inline: string | undefined, file: string | undefined, what: string, listener: string): string {
  if (inline !== undefined) return inline;
  try {
    return readFileSync(file!, 'utf8');
  } catch (err) {
    throw new Error(`listener ${listener}: tls.${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

type CertificateSource = Pick<ListenerSniCertificate, 'certificatePem' | 'privateKeyPem' | 'certFile' | 'keyFile'>;

function secureContext(c: CertificateSource, minVersion: 'TLSv1.2' | 'TLSv1.3', listener: string, at: string): SecureContext {
  const cert = pem(c.certificatePem, c.certFile, `${at}certFile`, listener);
  const key = pem(c.privateKeyPem, c.keyFile, `${at}keyFile`, listener);
  try {
    return createSecureContext({ cert, key, minVersion });
  } catch (err) {
    throw new Error(`listener ${listener}: tls${at ? `.${at.slice(0, -1)}` : ''}: certificate or key unusable: ${(err as Error).message}`);
  }
}

export function buildTlsContexts(listeners: readonly Listener[]): Map<string, ListenerTlsContext> {
  const out = new Map<string, ListenerTlsContext>();
  for (const l of listeners) {
    if (!l.tls) continue;
    const minVersion = l.tls.minVersion ?? 'TLSv1.2';
    const context = secureContext(l.tls, minVersion, l.name, '');
    const entry: ListenerTlsContext = { context, alpn: l.tls.alpn ?? ['h2', 'http/1.1'] };
    const sni = l.tls.sni ?? [];
    if (sni.length > 0) {
      const byName = sniTable(sni.map((c, i) => ({ names: c.serverNames, context: secureContext(c, minVersion, l.name, `sni[${i}].`) })));
      entry.sni = (serverName, cb) => cb(null, byName(serverName) ?? context);
    }
    out.set(l.name, entry);
  }
  return out;
}

/**
 * Exact names first, then `*.suffix` for one more label (as Istio and Envoy match server
 * names); the first entry naming a name wins. Built once: a handshake does two map lookups.
 */
function sniTable(entries: { names: readonly string[]; context: SecureContext }[]): (serverName: string) => SecureContext | undefined {
  const exact = new Map<string, SecureContext>();
  const wildcard = new Map<string, SecureContext>();
  for (const e of entries) {
    for (const raw of e.names) {
      const name = raw.toLowerCase();
      const table = name.startsWith('*.') ? wildcard : exact;
      const key = name.startsWith('*.') ? name.slice(1) : name;
      if (!table.has(key)) table.set(key, e.context);
    }
  }
  return (serverName) => {
    const name = serverName.toLowerCase();
    const dot = name.indexOf('.');
    return exact.get(name) ?? (dot > 0 ? wildcard.get(name.slice(dot)) : undefined);
  };
}
