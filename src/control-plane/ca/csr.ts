// The proxy's half of issuance: make a key pair and a CSR. The private key stays with the caller;
// only the CSR (public key + proof of possession) goes to the control plane.
// Built on node:crypto by the sidecar's own builder (no @peculiar/x509 in the sidecar); this name
// stays for the control plane's own SVID and for tests.
import { createKeyAndCsr } from '../../proxy/config/control-plane-client/csr.js';

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

export function createWorkloadKeyAndCsr(options: CsrOptions = {}): Promise<WorkloadKeyAndCsr> {
  return Promise.resolve(createKeyAndCsr(options.spiffeId));
}
