// Issuing workload certificates (X.509 SVIDs) from CSRs.
// The CSR proves possession of the key and carries it; nothing else in it is trusted. The identity
// comes from the caller, who has authenticated the workload (bootstrap token, ServiceAccount token),
// so a proxy cannot ask its way into another identity.
import { CLOCK_SKEW_MS } from './root.js';
import { renewAt } from './rotation.js';
import { formatWorkloadId } from './spiffe.js';
import type { CertificateAuthority, WorkloadIdentity } from './types.js';
import { randomSerial, toPemBundle, x509 } from './x509.js';

export const DEFAULT_SVID_TTL_MS = 24 * 60 * 60 * 1000;

export type CsrErrorCode = 'MAILLE_ERR_CSR_INVALID' | 'MAILLE_ERR_CSR_SIGNATURE' | 'MAILLE_ERR_CSR_KEY_TYPE';

/** A CSR the CA refuses; `code` is stable, for mapping to API status codes. */
export class CsrError extends Error {
  constructor(
    readonly code: CsrErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CsrError';
  }
}

export interface IssuedSvid {
  spiffeId: string;
  /** The leaf certificate alone. */
  certificatePem: string;
  /** The certificates between the leaf and the root, excluding the root; '' when the root signs. */
  chainPem: string;
  /** Leaf then chain: what node:tls takes as `cert`. */
  certificateChainPem: string;
  /** Every root to trust now: node:tls `ca`. */
  trustBundlePem: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** When to ask for the next one (half-life). */
  renewAt: Date;
}

export interface IssueOptions {
  now?: Date;
}

export async function signWorkloadCsr(
  ca: CertificateAuthority,
  csrPem: string,
  identity: WorkloadIdentity,
  ttlMs: number = DEFAULT_SVID_TTL_MS,
  options: IssueOptions = {},
): Promise<IssuedSvid> {
  const now = options.now ?? new Date();
  if (identity.trustDomain !== ca.trustDomain) {
    throw new Error(`identity trust domain ${identity.trustDomain} is not the CA's (${ca.trustDomain})`);
  }
  if (!(ttlMs > 0)) throw new Error(`certificate lifetime must be a positive duration, got ${ttlMs} ms`);
  const spiffeId = formatWorkloadId(identity);
  const csr = parseCsr(csrPem);
  checkKeyType(csr.publicKey);
  if (!(await csr.verify())) throw new CsrError('MAILLE_ERR_CSR_SIGNATURE', 'CSR signature does not verify: the request was not signed by its key');

  const { signer } = ca;
  const notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  // A leaf cannot outlive any certificate above it: verifiers would reject it from then on anyway.
  const caNotAfter = Math.min(...[signer.cert, ...signer.chain, signer.root].map((c) => c.notAfter.getTime()));
  if (caNotAfter <= now.getTime()) throw new Error(`the CA certificate expired on ${new Date(caNotAfter).toISOString()}; rotate the root or renew the plug-in CA`);
  const notAfter = new Date(Math.min(now.getTime() + ttlMs, caNotAfter));

  const signerKeyId = signer.cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    // No subject: the identity is the URI SAN and nothing else, so no verifier can match on a CN.
    // RFC 5280 §4.2.1.6 then requires the SAN extension to be critical.
    subject: '',
    issuer: signer.cert.subjectName,
    notBefore,
    notAfter,
    publicKey: csr.publicKey,
    signingKey: signer.key,
    signingAlgorithm: signer.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }], true),
      await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
      // Links the leaf to its issuer's key when two roots share a name during a rotation overlap.
      ...(signerKeyId ? [new x509.AuthorityKeyIdentifierExtension(signerKeyId)] : []),
    ],
  });

  const certificatePem = cert.toString('pem') + '\n';
  const chainPem = toPemBundle(signer.chain);
  return {
    spiffeId,
    certificatePem,
    chainPem,
    certificateChainPem: certificatePem + chainPem,
    trustBundlePem: ca.trustBundle.toPem(now),
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    renewAt: renewAt(cert),
  };
}

function parseCsr(csrPem: string): x509.Pkcs10CertificateRequest {
  if (!/-----BEGIN (NEW )?CERTIFICATE REQUEST-----/.test(csrPem)) {
    throw new CsrError('MAILLE_ERR_CSR_INVALID', 'CSR is not a PEM "CERTIFICATE REQUEST"');
  }
  try {
    return new x509.Pkcs10CertificateRequest(csrPem.replace(/NEW CERTIFICATE REQUEST/g, 'CERTIFICATE REQUEST'));
  } catch (err) {
    throw new CsrError('MAILLE_ERR_CSR_INVALID', `CSR is not a valid PKCS#10 request: ${(err as Error).message}`);
  }
}

// DESIGN §2: SVIDs are ECDSA P-256. A workload asking for anything else gets told exactly that.
function checkKeyType(key: x509.PublicKey): void {
  const alg = key.algorithm as { name?: string; namedCurve?: string; modulusLength?: number };
  if (alg.name === 'ECDSA' && alg.namedCurve === 'P-256') return;
  const what =
    alg.name === 'ECDSA' ? `ECDSA ${alg.namedCurve ?? 'unknown curve'}` : alg.modulusLength ? `RSA ${alg.modulusLength}` : (alg.name ?? 'unknown');
  throw new CsrError('MAILLE_ERR_CSR_KEY_TYPE', `CSR key is ${what}; workload certificates need an ECDSA P-256 key`);
}
