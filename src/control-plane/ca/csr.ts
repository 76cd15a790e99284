// The proxy's half of issuance: make a key pair and a CSR. The private key stays with the caller;
// only the CSR (public key + proof of possession) goes to the control plane.
import { exportPkcs8Pem } from './keys.js';
import { P256, x509 } from './x509.js';

export interface WorkloadKeyAndCsr {
  /** PKCS#10 request, PEM. */
  csrPem: string;
  /** PKCS#8 PEM ("BEGIN PRIVATE KEY"): node:tls `key`. */
  privateKeyPem: string;
}

export interface CsrOptions {
  /**
   * The SPIFFE ID to ask for, written as the CSR's URI SAN. Informational only: the CA issues the
   * identity the caller is authenticated as, whatever the CSR says.
   */
  spiffeId?: string;
}

export async function createWorkloadKeyAndCsr(options: CsrOptions = {}): Promise<WorkloadKeyAndCsr> {
  // Extractable because node:tls takes keys as PEM, not as CryptoKeys.
  const keys = (await crypto.subtle.generateKey(P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: P256,
    extensions: options.spiffeId ? [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: options.spiffeId }])] : [],
  });
  return { csrPem: csr.toString('pem') + '\n', privateKeyPem: await exportPkcs8Pem(keys.privateKey) };
}
