// Sign: a CSR in, an SVID for the caller's authenticated identity out. The identity comes from
// authentication alone; the CSR only carries the key (and proves the caller holds it).
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { uriSansFromAltNames } from '../ca/spiffe.js';
import { x509 } from '../ca/x509.js';
import { authenticateCaller, type AuthOptions, type Caller } from './auth.js';
import { DiscoveryError, badRequest, permissionDenied } from './errors.js';
import { readBody, replyJson } from './http-util.js';
import { MAX_PROXY_MESSAGE_BYTES, parseSignRequest, type SignResponse } from './protocol.js';
import type { CsrSigner, DiscoveryLog, SignRequestContext } from './types.js';

export interface SignContext {
  auth: Omit<AuthOptions, 'allowToken'>;
  signer: CsrSigner;
  log: DiscoveryLog;
}

export async function handleSign(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ctx: SignContext): Promise<void> {
  const caller = await authenticateCaller(stream, headers, { ...ctx.auth, allowToken: true });
  let csr: string;
  let nodeId: string | undefined;
  try {
    ({ csr, node: nodeId } = parseSignRequest(await readBody(stream, MAX_PROXY_MESSAGE_BYTES)));
  } catch (err) {
    throw err instanceof DiscoveryError ? err : badRequest((err as Error).message);
  }
  checkRequestedIdentity(csr, caller);

  let certChainPem: string;
  let trustBundlePem: string;
  try {
    ({ certChainPem, trustBundlePem } = await ctx.signer.sign(csr, caller.identity, requestContext(stream, headers, caller, nodeId)));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'MAILLE_ERR_PERMISSION_DENIED') throw permissionDenied((err as Error).message);
    if (typeof code === 'string' && code.startsWith('MAILLE_ERR_CSR')) throw new DiscoveryError(code, (err as Error).message);
    ctx.log.error('certificate signing failed', { spiffeId: caller.spiffeId, error: (err as Error).message });
    throw new DiscoveryError('MAILLE_ERR_INTERNAL', 'certificate signing failed; see the control plane log');
  }
  checkIssuedIdentity(certChainPem, caller);
  ctx.log.info('issued certificate', { spiffeId: caller.spiffeId, via: caller.via, ...(nodeId !== undefined ? { node: nodeId } : {}) });
  const response: SignResponse = { certChain: certChainPem, trustBundle: trustBundlePem };
  replyJson(stream, 200, JSON.stringify(response));
}

/** The evidence the signer binds the node with: the token, or the serial of the certificate presented. */
function requestContext(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, caller: Caller, nodeId: string | undefined): SignRequestContext {
  const context: SignRequestContext = { via: caller.via, ...(nodeId !== undefined ? { nodeId } : {}) };
  if (caller.via === 'token') {
    const token = /^Bearer +([^\s]+) *$/i.exec(headers.authorization ?? '')?.[1];
    if (token !== undefined) context.bearerToken = token;
  } else {
    const serial = (stream.session?.socket as TLSSocket | undefined)?.getPeerCertificate().serialNumber;
    if (serial) context.peerSerial = serial;
  }
  return context;
}

/**
 * A CSR may name the identity it wants (the proxy-side helper writes it as a URI SAN). Naming
 * another identity than the caller's is refused outright: issuing the caller's own identity instead
 * would hand back a certificate the proxy did not ask for, and the mismatch is worth a clear error.
 */
function checkRequestedIdentity(csrPem: string, caller: Caller): void {
  let requested: string[];
  try {
    const csr = new x509.Pkcs10CertificateRequest(csrPem.replace(/NEW CERTIFICATE REQUEST/g, 'CERTIFICATE REQUEST'));
    const sans = csr.extensions.filter((e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension);
    requested = sans.flatMap((san) => san.names.toJSON()).filter((n) => n.type === 'url').map((n) => n.value);
  } catch {
    return; // not parseable: the signer refuses it with the precise reason
  }
  const other = requested.find((uri) => uri !== caller.spiffeId);
  if (other !== undefined) {
    throw permissionDenied(`CSR asks for ${other}, but the caller is authenticated as ${caller.spiffeId}; a workload can only obtain its own identity`);
  }
}

/** Defence in depth: whatever the signer did, never hand out a certificate for someone else. */
function checkIssuedIdentity(certChainPem: string, caller: Caller): void {
  const leaf = new X509Certificate(certChainPem);
  const uris = uriSansFromAltNames(leaf.subjectAltName);
  if (uris.length !== 1 || uris[0] !== caller.spiffeId) {
    throw new DiscoveryError('MAILLE_ERR_INTERNAL', `signer issued a certificate for ${uris.join(', ') || 'no identity'} instead of ${caller.spiffeId}`);
  }
}
