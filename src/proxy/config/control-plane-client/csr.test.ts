import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCertificateAuthority } from '../../../control-plane/ca/authority.js';
import { signWorkloadCsr } from '../../../control-plane/ca/issue.js';
import { x509 } from '../../../control-plane/ca/x509.js';
import { createKeyAndCsr } from './csr.js';
import { oid, tlv } from './der.js';

const SPIFFE = 'spiffe://cluster.local/ns/default/sa/reviews';

test('openssl verifies the CSR and reads its empty subject, P-256 key, URI SAN and ECDSA-SHA256 signature', () => {
  const { csrPem } = createKeyAndCsr(SPIFFE);
  const file = join(mkdtempSync(join(tmpdir(), 'maille-csr-')), 'req.pem');
  writeFileSync(file, csrPem);
  const text = execFileSync('openssl', ['req', '-in', file, '-verify', '-noout', '-text'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(text, /Version: 1 \(0x0\)/);
  assert.match(text, /Subject: *\n/);
  assert.match(text, /ASN1 OID: prime256v1/);
  assert.match(text, new RegExp(`X509v3 Subject Alternative Name: *\\n\\s+URI:${SPIFFE.replace(/[./]/g, '\\$&')}\\n`));
  assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
  assert.match(opensslVerify(file), /self-signature verify OK/);
});

/** OpenSSL 3.0 exits 0 even when the signature fails; its words (on stdout or stderr) tell. */
function opensslVerify(file: string, inform = 'PEM'): string {
  const r = spawnSync('openssl', ['req', '-inform', inform, '-in', file, '-verify', '-noout'], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`;
}

test('a tampered CSR fails openssl verification', () => {
  const { csrPem } = createKeyAndCsr(SPIFFE);
  const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  // Change one byte of the URI inside the signed part.
  const at = der.indexOf(Buffer.from('reviews'));
  der[at] ^= 0x01;
  const file = join(mkdtempSync(join(tmpdir(), 'maille-csr-')), 'bad.der');
  writeFileSync(file, der);
  const out = opensslVerify(file, 'DER');
  assert.match(out, /verify fail/);
  assert.doesNotMatch(out, /verify OK/);
});

test("the control plane's parser accepts the CSR and issues an SVID for the key", async () => {
  const { csrPem, privateKeyPem } = createKeyAndCsr(SPIFFE);
  const parsed = new x509.Pkcs10CertificateRequest(csrPem);
  assert.equal(await parsed.verify(), true);
  const sans = parsed.extensions.filter((e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension);
  assert.deepEqual(Array.from(sans, (e) => [...e.names.toJSON()]), [[{ type: 'url', value: SPIFFE }]]);

  const ca = await openCertificateAuthority({ stateDir: mkdtempSync(join(tmpdir(), 'maille-csr-ca-')) });
  const svid = await signWorkloadCsr(ca, csrPem, { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'reviews' });
  const leaf = new X509Certificate(svid.certificatePem);
  assert.equal(leaf.checkPrivateKey(createPrivateKey(privateKeyPem)), true);
  assert.equal(leaf.subjectAltName, `URI:${SPIFFE}`);
});

test('without a SPIFFE ID the CSR has no attributes and still verifies; non-ASCII URIs are refused', async () => {
  const { csrPem } = createKeyAndCsr();
  const parsed = new x509.Pkcs10CertificateRequest(csrPem);
  assert.equal(await parsed.verify(), true);
  assert.equal(parsed.extensions.length, 0);
  assert.throws(() => createKeyAndCsr('spiffe://cluster.local/ns/défaut/sa/x'), /CSR URI SAN must be printable ASCII/);
});

test('DER lengths and OIDs encode as X.690 says', () => {
  assert.deepEqual([...tlv(0x04, Buffer.alloc(5))].slice(0, 2), [0x04, 5]);
  assert.deepEqual([...tlv(0x04, Buffer.alloc(200))].slice(0, 3), [0x04, 0x81, 200]);
  assert.deepEqual([...tlv(0x04, Buffer.alloc(300))].slice(0, 4), [0x04, 0x82, 0x01, 0x2c]);
  assert.equal(oid('1.2.840.10045.4.3.2').toString('hex'), '06082a8648ce3d040302');
  assert.equal(oid('2.5.29.17').toString('hex'), '0603551d11');
  assert.throws(() => oid('1.2.x'), /not an OID/);
});

test('loading the sidecar (control-plane mode) and making a CSR never loads @peculiar/x509', async () => {
  // A fresh process, with this test's loader (tsx when run from source), imports the sidecar's
  // entry and makes a key: reflect-metadata, which x509.ts loads right before the library, must be absent.
  const here = fileURLToPath(import.meta.url);
  const ext = here.endsWith('.ts') ? '.ts' : '.js';
  const modeUrl = new URL(`../../app/control-plane-mode${ext}`, import.meta.url).href;
  const csrUrl = new URL(`./csr${ext}`, import.meta.url).href;
  const script = `await import(${JSON.stringify(modeUrl)}); const { createKeyAndCsr } = await import(${JSON.stringify(csrUrl)}); createKeyAndCsr('${SPIFFE}');
const { createRequire } = await import('node:module');
process.stdout.write(JSON.stringify({ reflect: typeof Reflect.getMetadata, cjs: Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@peculiar')) }));`;
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--test'));
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [...execArgv, '--input-type=module', '-e', script], (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout))),
  );
  assert.deepEqual(JSON.parse(out), { reflect: 'undefined', cjs: [] });
});
