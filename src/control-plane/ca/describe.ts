// Public facts about certificates, for `maille ca status` and `maille proxy-config W secret`:
// what a person compares across commands (SHA-256 fingerprints, as `openssl x509 -fingerprint
// -sha256` prints them) and never anything secret.
import { X509Certificate, createHash } from 'node:crypto';

export interface CertificateFacts {
  subject: string;
  /** SHA-256 of the DER, upper-case hex pairs joined by colons (openssl's format). */
  fingerprint: string;
  serialNumber: string;
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
}

export function fingerprintOf(der: Uint8Array | ArrayBuffer): string {
  const hex = createHash('sha256')
    .update(der instanceof Uint8Array ? der : new Uint8Array(der))
    .digest('hex')
    .toUpperCase();
  return hex.match(/../g)!.join(':');
}

export function factsOf(cert: X509Certificate): CertificateFacts {
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    fingerprint: fingerprintOf(cert.raw),
    serialNumber: cert.serialNumber,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
  };
}

/** Every certificate of a PEM text (a chain or a bundle), in order. */
export function certificatesOf(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => new X509Certificate(b));
}
