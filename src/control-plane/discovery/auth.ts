// Who is calling: the identity in a verified client certificate, or the one a bootstrap token was
// issued for. Nothing the caller sends in a message can change it.
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { formatWorkloadId, verifyPeerIdentity } from '../ca/spiffe.js';
import { permissionDenied, unauthenticated } from './errors.js';
import type { Authenticate, Identity } from './types.js';

export interface Caller {
  identity: Identity;
  spiffeId: string;
  via: 'certificate' | 'token';
}

export interface AuthOptions {
  trustDomain: string;
  authenticate: Authenticate;
  /** Sign accepts a bootstrap token; the stream needs a certificate (the token is only for the first one). */
  allowToken: boolean;
}

export async function authenticateCaller(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, opts: AuthOptions): Promise<Caller> {
  const socket = stream.session?.socket as TLSSocket | undefined;
  if (socket === undefined) throw unauthenticated('connection closed during authentication');
  const cert = socket.getPeerCertificate();
  // getPeerCertificate() is {} when the client sent none.
  if (cert !== null && Object.keys(cert).length > 0) return fromCertificate(socket, cert, opts.trustDomain);

  const header = headers.authorization;
  if (header === undefined) {
    throw unauthenticated(
      opts.allowToken
        ? 'no client certificate and no bootstrap token (authorization: Bearer <token>)'
        : 'the discovery stream needs a client certificate; get one with the bootstrap token first (Sign)',
    );
  }
  if (!opts.allowToken) throw unauthenticated('the discovery stream needs a client certificate; a bootstrap token only obtains one (Sign)');
  const match = /^Bearer +([^\s]+) *$/i.exec(header);
  if (!match) throw unauthenticated('authorization header is not "Bearer <token>"');
  const identity = await opts.authenticate(match[1]);
  // Never echo or log the token: it is a credential.
  if (identity === undefined) throw unauthenticated('bootstrap token not accepted');
  if (identity.trustDomain !== opts.trustDomain) {
    throw permissionDenied(`bootstrap token is for trust domain ${identity.trustDomain}, this control plane serves ${opts.trustDomain}`);
  }
  return { identity, spiffeId: formatWorkloadId(identity), via: 'token' };
}

function fromCertificate(socket: TLSSocket, cert: ReturnType<TLSSocket['getPeerCertificate']>, trustDomain: string): Caller {
  // The server requests but does not require a certificate (a bootstrapping proxy has none), so
  // OpenSSL let an unverifiable one through; refuse it here with OpenSSL's reason.
  if (!socket.authorized) throw unauthenticated(`client certificate refused: ${explain(String(socket.authorizationError))}`);
  let peer;
  try {
    peer = verifyPeerIdentity(cert, trustDomain);
  } catch (err) {
    throw unauthenticated(`client certificate refused: ${(err as Error).message}`);
  }
  if (peer.namespace === undefined || peer.serviceAccount === undefined) {
    throw unauthenticated(`client certificate identity ${peer.uri} is not a workload identity (spiffe://<td>/ns/<ns>/sa/<sa>)`);
  }
  return { identity: { trustDomain, namespace: peer.namespace, serviceAccount: peer.serviceAccount }, spiffeId: peer.uri, via: 'certificate' };
}

// OpenSSL's verification codes, in words a person can act on; the code stays for searching.
const UNTRUSTED = 'not issued by a CA in the trust bundle';
const REASONS: Readonly<Record<string, string>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT: UNTRUSTED,
  SELF_SIGNED_CERT_IN_CHAIN: UNTRUSTED,
  DEPTH_ZERO_SELF_SIGNED_CERT: UNTRUSTED,
  CERT_SIGNATURE_FAILURE: 'its signature does not verify',
  CERT_HAS_EXPIRED: 'it has expired',
  CERT_NOT_YET_VALID: 'it is not valid yet (clock skew?)',
};

function explain(code: string): string {
  const reason = REASONS[code];
  return reason === undefined ? code : `${reason} (${code})`;
}
