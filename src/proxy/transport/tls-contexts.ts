// TLS server contexts of a snapshot's listeners, built once per snapshot (reading key files and
// parsing PEM is far too slow for a connection's path, and a bad certificate must reject the
// snapshot, not fail the first handshake).
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Listener } from '../../model/snapshot.js';

export interface ListenerTlsContext {
  context: SecureContext;
  alpn: string[];
}

function pem(inline: string | undefined, file: string | undefined, what: string, listener: string): string {
  if (inline !== undefined) return inline;
  try {
    return readFileSync(file!, 'utf8');
  } catch (err) {
    throw new Error(`listener ${listener}: tls.${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function buildTlsContexts(listeners: readonly Listener[]): Map<string, ListenerTlsContext> {
  const out = new Map<string, ListenerTlsContext>();
  for (const l of listeners) {
    if (!l.tls) continue;
    const cert = pem(l.tls.certificatePem, l.tls.certFile, 'certFile', l.name);
    const key = pem(l.tls.privateKeyPem, l.tls.keyFile, 'keyFile', l.name);
    let context: SecureContext;
    try {
      context = createSecureContext({ cert, key, minVersion: l.tls.minVersion ?? 'TLSv1.2' });
    } catch (err) {
      throw new Error(`listener ${l.name}: tls: certificate or key unusable: ${(err as Error).message}`);
    }
    out.set(l.name, { context, alpn: l.tls.alpn ?? ['h2', 'http/1.1'] });
  }
  return out;
}
