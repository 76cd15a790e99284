// Private keys between their three shapes: PEM files (any of the formats users and openssl write),
// WebCrypto CryptoKeys (what @peculiar/x509 signs with) and PKCS#8 PEM (what node:tls reads).
import { createPrivateKey, createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import type { SigningAlgorithm } from './types.js';

export interface ImportedSigningKey {
  key: CryptoKey;
  /** The signature algorithm certificates signed with this key use. */
  algorithm: SigningAlgorithm;
  /** DER SubjectPublicKeyInfo of the matching public key, to compare with a certificate's. */
  spki: Buffer;
}

/**
 * Import a CA private key from PEM. Node's parser accepts PKCS#8, SEC1 ("EC PRIVATE KEY") and
 * PKCS#1 ("RSA PRIVATE KEY"), so a plug-in CA's key works whichever tool wrote it. `file` only
 * names the source in errors.
 */
export async function importSigningKeyPem(pem: string, file: string): Promise<ImportedSigningKey> {
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    const reason = /passphrase/i.test(String(err)) ? 'is encrypted; give maille an unencrypted key' : 'is not a PEM private key';
    throw new Error(`${file}: ${reason}`, { cause: err });
  }
  const algorithm = signingAlgorithmFor(keyObject, file);
  const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'der' });
  // Not extractable: once imported, the key is only ever used to sign.
  const key = await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
  const spki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
  return { key: key as unknown as CryptoKey, algorithm, spki };
}

/** PKCS#8 PEM ("BEGIN PRIVATE KEY") of an extractable CryptoKey, as node:tls and openssl read it. */
export async function exportPkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key as unknown as webcrypto.CryptoKey));
  return toPem('PRIVATE KEY', der);
}

export function toPem(label: string, der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

// The algorithms a CA key may have. ECDSA P-256 is what maille generates; P-384 and RSA are here
// because users bring existing corporate CAs (plug-in CA) and those are often one of them.
function signingAlgorithmFor(key: KeyObject, file: string): SigningAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    if (curve === 'secp384r1') return { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' };
    throw new Error(`${file}: EC curve ${curve ?? 'unknown'} is not supported for a CA key (allowed: P-256, P-384, RSA)`);
  }
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new Error(`${file}: RSA key of ${bits} bits is too weak for a CA (at least 2048)`);
    return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  }
  throw new Error(`${file}: ${type ?? 'unknown'} keys are not supported for a CA key (allowed: EC P-256, EC P-384, RSA)`);
}
