// The sidecar's key and certificate request, on node:crypto alone.
//
// A PKCS#10 request (RFC 2986) is small enough to write by hand, and doing so keeps @peculiar/x509
// and its reflect-metadata/tsyringe stack (~21 MB RSS per process) out of every sidecar; the control
// plane, which parses and signs, keeps the library.
//
//   CertificationRequest ::= SEQUENCE {
//     certificationRequestInfo SEQUENCE {
//       version       INTEGER 0,
//       subject       Name                      -- empty: the identity is the URI SAN alone
//       subjectPKInfo SubjectPublicKeyInfo      -- the KeyObject's own DER export
//       attributes    [0] { extensionRequest { subjectAltName URI } } },
//     signatureAlgorithm ecdsa-with-SHA256,
//     signature          BIT STRING }           -- ECDSA over the DER of certificationRequestInfo
import { generateKeyPairSync, sign } from 'node:crypto';
import { bitString, contextConstructed, contextPrimitive, octetString, oid, sequence, set, smallInteger, toPem } from './der.js';

const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
/** GeneralName uniformResourceIdentifier [6] IA5String. */
const GENERAL_NAME_URI = 6;

export interface KeyAndCsrPem {
  /** PKCS#10 request, PEM ("CERTIFICATE REQUEST"). */
  csrPem: string;
  /** PKCS#8 PEM ("PRIVATE KEY"): node:tls `key`. Never leaves the process. */
  privateKeyPem: string;
}

/** A fresh ECDSA P-256 key (DESIGN §2) and a CSR for it; `spiffeId` becomes its one URI SAN. */
export function createKeyAndCsr(spiffeId?: string): KeyAndCsrPem {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const attributes = spiffeId === undefined ? [] : [extensionRequest(subjectAltNameUri(spiffeId))];
  const info = sequence(
    smallInteger(0),
    sequence(), // empty subject Name (RDNSequence with no RDNs)
    publicKey.export({ type: 'spki', format: 'der' }),
    contextConstructed(0, Buffer.concat(attributes)),
  );
  // node:crypto signs EC keys in DER (ECDSA-Sig-Value), which is what X.509 signatures hold.
  const signature = sign('sha256', info, privateKey);
  const csr = sequence(info, sequence(oid(OID_ECDSA_WITH_SHA256)), bitString(signature));
  return {
    csrPem: toPem('CERTIFICATE REQUEST', csr),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

function subjectAltNameUri(uri: string): Buffer {
  // IA5String is 7-bit ASCII; a SPIFFE ID is, but a caller's typo must not produce a bad request.
  if (!/^[\x20-\x7e]+$/.test(uri)) throw new Error(`CSR URI SAN must be printable ASCII: ${JSON.stringify(uri)}`);
  const generalNames = sequence(contextPrimitive(GENERAL_NAME_URI, Buffer.from(uri, 'ascii')));
  // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE (omitted), extnValue OCTET STRING }
  return sequence(oid(OID_SUBJECT_ALT_NAME), octetString(generalNames));
}

function extensionRequest(...extensions: Buffer[]): Buffer {
  // Attribute ::= SEQUENCE { type, values SET OF Extensions }, Extensions ::= SEQUENCE OF Extension
  return sequence(oid(OID_EXTENSION_REQUEST), set(sequence(...extensions)));
}
