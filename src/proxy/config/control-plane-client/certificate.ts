// The proxy's SVID: the key is made here and never leaves; the control plane signs a CSR for it.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { uriSansFromAltNames } from '../../../control-plane/ca/spiffe.js';
import type { SignResponse } from '../../../control-plane/discovery/protocol.js';

/** An SVID with its key: what node:tls needs for mTLS, to the control plane and (later) to peers. */
export interface WorkloadCertificate {
  spiffeId: string;
  /** Leaf first, then intermediates: node:tls `cert`. */
  certChainPem: string;
  /** PKCS#8 PEM: node:tls `key`. */
  privateKeyPem: string;
  /** Roots to trust: node:tls `ca`. */
  trustBundlePem: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** Half-life (DESIGN §2). */
  renewAt: Date;
}

export interface KeyAndCsr {
  csrPem: string;
  privateKeyPem: string;
}

/** Makes a fresh key and a CSR naming `spiffeId`. */
export type CreateKeyAndCsr = (spiffeId: string) => Promise<KeyAndCsr>;

/** Check what the control plane returned against what we asked for, and read its validity. */
export function acceptIssued(response: SignResponse, keyAndCsr: KeyAndCsr, spiffeId: string): WorkloadCertificate {
  const leaf = new X509Certificate(response.certChain);
  // A certificate for another key or identity would fail every handshake later, far from the cause.
  if (!leaf.checkPrivateKey(createPrivateKey(keyAndCsr.privateKeyPem))) throw new Error('the control plane returned a certificate for another key');
  const uris = uriSansFromAltNames(leaf.subjectAltName);
  if (uris.length !== 1 || uris[0] !== spiffeId) throw new Error(`the control plane returned a certificate for ${uris.join(', ') || 'no identity'}, expected ${spiffeId}`);
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  return {
    spiffeId,
    certChainPem: response.certChain,
    privateKeyPem: keyAndCsr.privateKeyPem,
    trustBundlePem: response.trustBundle,
    serialNumber: leaf.serialNumber,
    notBefore,
    notAfter,
    renewAt: new Date(notBefore.getTime() + (notAfter.getTime() - notBefore.getTime()) / 2),
  };
}

const MIN_RENEW_DELAY_MS = 1000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * How long until renewing. Normally until half-life; a certificate already past it (the CA backdates
 * notBefore for clock skew, which matters for short test lifetimes; or the clock jumped) renews
 * halfway through what is left, and never sooner than a second, so renewal cannot spin.
 */
export function renewDelayMs(cert: WorkloadCertificate, now: number = Date.now()): number {
  const untilHalfLife = cert.renewAt.getTime() - now;
  const delay = untilHalfLife > 0 ? untilHalfLife : (cert.notAfter.getTime() - now) / 2;
  return Math.min(MAX_TIMER_MS, Math.max(MIN_RENEW_DELAY_MS, Math.round(delay)));
}

/** Usable for a new handshake: valid now, with a little margin for the peer's clock. */
export function isUsable(cert: WorkloadCertificate | undefined, now: number = Date.now()): cert is WorkloadCertificate {
  return cert !== undefined && cert.notBefore.getTime() <= now && now < cert.notAfter.getTime() - 1000;
}
