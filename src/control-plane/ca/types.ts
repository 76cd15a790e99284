// The shapes the CA room hands around. Kept apart so that root, issuance and rotation can share
// them without importing each other.
import type { x509 } from './x509.js';
import type { TrustBundle } from './trust-bundle.js';

/** What a SPIFFE ID of the mesh names: spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>. */
export interface WorkloadIdentity {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

/** WebCrypto parameters for signing; `hash` is always set so ECDSA signatures know their digest. */
export type SigningAlgorithm =
  | { name: 'ECDSA'; namedCurve: 'P-256' | 'P-384'; hash: 'SHA-256' | 'SHA-384' }
  | { name: 'RSASSA-PKCS1-v1_5'; hash: 'SHA-256' };

/** The certificate and key that sign workload certificates, with what links them to a root. */
export interface CaSigner {
  /** The signing CA certificate: the root itself, or a plug-in intermediate. */
  cert: x509.X509Certificate;
  key: CryptoKey;
  algorithm: SigningAlgorithm;
  /**
   * What a leaf must present above itself: the signing certificate and any intermediates above it,
   * up to but not including the root. Empty when the root signs directly.
   */
  chain: readonly x509.X509Certificate[];
  /** The self-signed root the chain ends at. */
  root: x509.X509Certificate;
}

export interface CertificateAuthority {
  trustDomain: string;
  /** 'self-signed': maille's own root in the state directory; 'plug-in': the user's files. */
  source: 'self-signed' | 'plug-in';
  signer: CaSigner;
  /** Every root a workload must trust: the signer's root, plus old roots during a rotation overlap. */
  trustBundle: TrustBundle;
}
