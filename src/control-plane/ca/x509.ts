// The one door to @peculiar/x509 for the CA room.
// The library resolves its ASN.1 helpers through tsyringe, which needs a Reflect metadata polyfill
// loaded *before* the library itself; ESM evaluates imports in order, so importing both here, in this
// order, and having every other file import x509 from this module guarantees it.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

// Pin the library to Node's own WebCrypto rather than whatever global it finds first.
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };

/** ECDSA P-256 with SHA-256: the only algorithm maille itself generates keys for (DESIGN §2). */
export const P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** Every certificate in a PEM text, in order. Text outside the BEGIN/END blocks is ignored. */
export function parseCertificates(pem: string): x509.X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new x509.X509Certificate(b));
}

/** PEM concatenation, one certificate after another, newline-terminated ('' for none). */
export function toPemBundle(certs: readonly x509.X509Certificate[]): string {
  return certs.map((c) => c.toString('pem') + '\n').join('');
}

/** A 128-bit random serial: enough entropy that serials never collide and cannot be predicted. */
export function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  // Positive and always 16 bytes long (126 random bits): top bit clear, so no 0x00 sign byte is
  // needed, and the next bit set, so the DER INTEGER never loses a leading zero byte (serials
  // then have one length, which tools and the tests can rely on).
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return Buffer.from(bytes).toString('hex');
}

/** True when two byte strings are identical (used to compare SPKIs and DER certificates). */
export function sameBytes(a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array): boolean {
  return Buffer.from(a instanceof Uint8Array ? a : new Uint8Array(a)).equals(Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)));
}
