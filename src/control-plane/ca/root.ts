// The CA's root of trust: maille's own self-signed root, kept in the state directory, or a
// user-provided ("plug-in") root or intermediate. Either way the result is a CaSigner: a CA
// certificate, its key, and the chain that links it to a self-signed root.
import path from 'node:path';
import { exportPkcs8Pem, importSigningKeyPem } from './keys.js';
import { SECRET_MODE, readStateFile, readStateFileIfExists, writeFileAtomic } from './state-files.js';
import type { CaSigner } from './types.js';
import { P256, parseCertificates, randomSerial, sameBytes, x509 } from './x509.js';

/** Clocks of different machines disagree a little; certificates start this much in the past. */
export const CLOCK_SKEW_MS = 60_000;
export const ROOT_VALIDITY_YEARS = 10;

export interface RootPaths {
  dir: string;
  cert: string;
  key: string;
}

/** Where the self-signed root lives in the state directory. */
export function rootPaths(stateDir: string): RootPaths {
  const dir = path.join(stateDir, 'ca');
  return { dir, cert: path.join(dir, 'root-cert.pem'), key: path.join(dir, 'root-key.pem') };
}

export function rootSubject(trustDomain: string): string {
  return `O=maille, CN=maille root CA ${trustDomain}`;
}

export interface NewRoot {
  cert: x509.X509Certificate;
  key: CryptoKey;
  keyPem: string;
}

/** A fresh self-signed root: ECDSA P-256, 10 years, CA:true, keyCertSign + cRLSign. Not persisted. */
export async function createRoot(trustDomain: string, now: Date = new Date()): Promise<NewRoot> {
  // Extractable only so that it can be written to the state directory once.
  const keys = (await crypto.subtle.generateKey(P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + ROOT_VALIDITY_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: rootSubject(trustDomain),
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: P256,
    extensions: [
      // No path length limit: a later change may put an intermediate under the root.
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      // Old and new roots share a subject during a rotation; key identifiers let verifiers (OpenSSL
      // in node:tls among them) pick the right issuer instead of trying the first namesake.
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, key: keys.privateKey, keyPem: await exportPkcs8Pem(keys.privateKey) };
}

/** Persist a root: key first (0600), certificate last, so a certificate never exists without its key. */
export async function writeRoot(paths: RootPaths, root: { cert: x509.X509Certificate; keyPem: string }): Promise<void> {
  await writeFileAtomic(paths.key, root.keyPem, { mode: SECRET_MODE });
  await writeFileAtomic(paths.cert, root.cert.toString('pem') + '\n');
}

/**
 * The self-signed root of the state directory: loaded when present, created on first start.
 * A key without a certificate is what an interrupted first start leaves (see writeRoot), and is
 * replaced; a certificate without its key cannot be used and is an error a person must resolve.
 */
export async function loadOrCreateRoot(stateDir: string, trustDomain: string, now: Date = new Date()): Promise<CaSigner> {
  const paths = rootPaths(stateDir);
  const certPem = await readStateFileIfExists(paths.cert);
  if (certPem === undefined) {
    const root = await createRoot(trustDomain, now);
    await writeRoot(paths, root);
    return { cert: root.cert, key: root.key, algorithm: P256, chain: [], root: root.cert };
  }
  const keyPem = await readStateFileIfExists(paths.key);
  if (keyPem === undefined) {
    throw new Error(
      `${paths.key}: missing, but ${paths.cert} exists; restore the key, or remove ${paths.dir} to create a new root (every workload certificate is then reissued)`,
    );
  }
  const signer = await loadSigner(paths.cert, certPem, paths.key, keyPem, now);
  if (signer.chain.length > 0) throw new Error(`${paths.cert}: is not a self-signed root`);
  const expected = rootSubject(trustDomain);
  if (signer.cert.subject !== expected) {
    // The root names its trust domain; a changed --trust-domain with an old state directory would
    // otherwise silently keep a root labelled for another domain.
    throw new Error(
      `${paths.cert}: root "${signer.cert.subject}" was not created for trust domain ${trustDomain} (expected "${expected}"); use the trust domain it was created for, or remove ${paths.dir} to create a new root`,
    );
  }
  return signer;
}

export interface PluginCaFiles {
  /** The CA certificate that signs workload certificates (--ca-cert). */
  certFile: string;
  /** Its private key (--ca-key). */
  keyFile: string;
  /** For an intermediate: the certificates above it, up to and including the root (--ca-chain). */
  chainFile?: string;
}

/**
 * A user-provided CA. The files stay where the user keeps them and are read on every start;
 * maille does not copy the key into its state directory.
 */
export async function loadPluginCa(files: PluginCaFiles, now: Date = new Date()): Promise<CaSigner> {
  const certPem = await readStateFile(files.certFile);
  const keyPem = await readStateFile(files.keyFile);
  const chainPem = files.chainFile === undefined ? undefined : await readStateFile(files.chainFile);
  return loadSigner(files.certFile, certPem, files.keyFile, keyPem, now, files.chainFile, chainPem);
}

async function loadSigner(
  certFile: string,
  certPem: string,
  keyFile: string,
  keyPem: string,
  now: Date,
  chainFile?: string,
  chainPem?: string,
): Promise<CaSigner> {
  const certs = parsePem(certFile, certPem);
  const cert = certs[0];
  const key = await importSigningKeyPem(keyPem, keyFile);
  if (!sameBytes(key.spki, cert.publicKey.rawData)) {
    throw new Error(`${keyFile}: private key does not match the certificate in ${certFile} (${cert.subject})`);
  }
  checkCa(cert, certFile, now);
  // Certificates after the first in the cert file are taken as chain too: a "full chain" file is common.
  const pool = [...certs.slice(1), ...(chainFile !== undefined && chainPem !== undefined ? parsePem(chainFile, chainPem) : [])];
  const chain = await chainToRoot(cert, pool, certFile, chainFile ?? certFile, now);
  const root = chain.pop() ?? cert;
  // chainToRoot returns [cert, ...intermediates, root]; the leaf's chain excludes the root, and is
  // empty when the CA certificate is the root itself.
  return { cert, key: key.key, algorithm: key.algorithm, chain: root === cert ? [] : chain, root };
}

/** Follow issuers from `cert` through `pool` to a self-signed root; every step signature-checked. */
async function chainToRoot(
  cert: x509.X509Certificate,
  pool: x509.X509Certificate[],
  certFile: string,
  chainFile: string,
  now: Date,
): Promise<x509.X509Certificate[]> {
  const links = [cert];
  let current = cert;
  while (!(await current.isSelfSigned())) {
    if (links.length > 8) throw new Error(`${chainFile}: chain is longer than 8 certificates or loops`);
    let issuer: x509.X509Certificate | undefined;
    for (const candidate of pool) {
      if (candidate.subject === current.issuer && !sameBytes(candidate.rawData, current.rawData) && (await current.verify({ publicKey: candidate, signatureOnly: true }))) {
        issuer = candidate;
        break;
      }
    }
    if (!issuer) {
      if (pool.length === 0) {
        throw new Error(`${certFile}: "${current.subject}" is not self-signed (issued by "${current.issuer}"); give the chain up to the root with --ca-chain`);
      }
      throw new Error(`${chainFile}: no certificate in the chain issued "${current.subject}" (looking for "${current.issuer}" with a matching signature)`);
    }
    checkCa(issuer, chainFile, now);
    links.push(issuer);
    current = issuer;
  }
  return links;
}

/** A CA certificate: CA:true, may sign certificates, valid now. */
function checkCa(cert: x509.X509Certificate, file: string, now: Date): void {
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (!bc?.ca) throw new Error(`${file}: "${cert.subject}" is not a CA certificate (basicConstraints CA:TRUE missing)`);
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  if (ku && (ku.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw new Error(`${file}: "${cert.subject}" may not sign certificates (keyUsage lacks keyCertSign)`);
  }
  if (now < cert.notBefore) throw new Error(`${file}: "${cert.subject}" is not valid before ${cert.notBefore.toISOString()}`);
  if (now >= cert.notAfter) throw new Error(`${file}: "${cert.subject}" expired on ${cert.notAfter.toISOString()}`);
}

function parsePem(file: string, pem: string): x509.X509Certificate[] {
  let certs: x509.X509Certificate[];
  try {
    certs = parseCertificates(pem);
  } catch (err) {
    throw new Error(`${file}: cannot parse certificate: ${(err as Error).message}`, { cause: err });
  }
  if (certs.length === 0) throw new Error(`${file}: contains no PEM certificate`);
  return certs;
}
