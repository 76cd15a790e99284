// Client certificates on a listener that terminates TLS with its own certificate (Istio's MUTUAL):
// the chain must end in the configured CA and, when subjectAltNames are given, one SAN of the
// leaf must equal one of them (exactly, whatever its type: DNS, URI, email or IP, as Envoy's
// match_subject_alt_names with exact matchers does for Istio).
import type { TLSSocket } from 'node:tls';
import type { ListenerClientAuth } from '../../model/snapshot.js';

/** The chain verification result of a server-side TLS socket (`undefined`: trusted). */
export function chainVerifyError(socket: TLSSocket): string | undefined {
  // A TLSSocket made by hand (not by tls.Server) never enforces rejectUnauthorized: OpenSSL
  // accepts any chain and records the verdict, which tls.Server would read; so do we.
  const handle = (socket as unknown as { ssl?: { verifyError(): (Error & { code?: string }) | null } }).ssl;
  if (!handle || typeof handle.verifyError !== 'function') return 'cannot check the certificate chain';
  const err = handle.verifyError();
  return err ? (err.code ?? err.message) : undefined;
}

/**
 * The SAN values of Node's `subjectaltname` string (`DNS:a, URI:spiffe://x, IP Address:1.2.3.4`);
 * Node writes a value that holds a comma or quote as a JSON string.
 */
export function subjectAltNameValues(text: string | undefined): string[] {
  const out: string[] = [];
  if (!text) return out;
  const entry = /(?:^|, )([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (const m of text.matchAll(entry)) {
    const raw = m[2];
    if (!raw.startsWith('"')) out.push(raw);
    else {
      try {
        out.push(JSON.parse(raw) as string);
      } catch {
        // A value we cannot read cannot match.
      }
    }
  }
  return out;
}

/** Why a finished handshake's client certificate is refused under `auth` (undefined: accepted). */
export function clientCertificateProblem(socket: TLSSocket, auth: ListenerClientAuth): string | undefined {
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return auth.optional ? undefined : 'no client certificate';
  const chain = chainVerifyError(socket);
  if (chain !== undefined) return `client certificate not trusted: ${chain}`;
  const wanted = auth.subjectAltNames;
  if (wanted === undefined) return undefined;
  const names = subjectAltNameValues(peer.subjectaltname);
  if (names.some((n) => wanted.includes(n))) return undefined;
  return `client certificate names ${names.length > 0 ? names.join(', ') : 'no subject alternative name'}, none of ${wanted.join(', ')}`;
}
