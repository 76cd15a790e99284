import assert from 'node:assert/strict';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openCertificateAuthority } from './authority.js';
import { createWorkloadKeyAndCsr } from './csr.js';
import { signWorkloadCsr } from './issue.js';
import { mustOpenssl, opensslVerify, tempDir } from './testing.js';
import { x509 } from './x509.js';

const web = { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'web' };

async function issue(ca: Awaited<ReturnType<typeof openCertificateAuthority>>) {
  const { csrPem } = await createWorkloadKeyAndCsr();
  return signWorkloadCsr(ca, csrPem, { ...web, trustDomain: ca.trustDomain });
}

describe('self-signed root in the state directory', () => {
  it('is created on first start as specified, with the key file mode 0600', async (t) => {
    const dir = await tempDir(t);
    const ca = await openCertificateAuthority({ stateDir: dir });
    assert.equal(ca.source, 'self-signed');
    assert.equal((await stat(path.join(dir, 'ca/root-key.pem'))).mode & 0o777, 0o600);
    assert.equal((await stat(path.join(dir, 'ca'))).mode & 0o777, 0o700);
    const text = await mustOpenssl(['x509', '-in', path.join(dir, 'ca/root-cert.pem'), '-noout', '-text']);
    assert.match(text, /Subject: O = maille, CN = maille root CA cluster.local/);
    assert.match(text, /Issuer: O = maille, CN = maille root CA cluster.local/);
    assert.match(text, /X509v3 Basic Constraints: critical\n\s*CA:TRUE\n/);
    assert.match(text, /X509v3 Key Usage: critical\n\s*Certificate Sign, CRL Sign\n/);
    assert.match(text, /ASN1 OID: prime256v1/);
    const root = ca.signer.root;
    const years = (root.notAfter.getTime() - root.notBefore.getTime()) / (365.25 * 24 * 3600_000);
    assert.ok(Math.abs(years - 10) < 0.01, `${years} years`);
    // The key file is one openssl reads: PKCS#8, and it matches the certificate.
    const pub1 = await mustOpenssl(['pkey', '-in', path.join(dir, 'ca/root-key.pem'), '-pubout']);
    const pub2 = await mustOpenssl(['x509', '-in', path.join(dir, 'ca/root-cert.pem'), '-noout', '-pubkey']);
    assert.equal(pub1, pub2);
  });

  it('survives a restart: the same root is reloaded and keeps issuing verifiable certificates', async (t) => {
    const dir = await tempDir(t);
    const first = await openCertificateAuthority({ stateDir: dir });
    const before = await issue(first);
    const certFile = await readFile(path.join(dir, 'ca/root-cert.pem'), 'utf8');

    const second = await openCertificateAuthority({ stateDir: dir });
    assert.equal(second.signer.root.serialNumber, first.signer.root.serialNumber);
    assert.equal(await readFile(path.join(dir, 'ca/root-cert.pem'), 'utf8'), certFile, 'nothing rewritten');
    assert.equal((await stat(path.join(dir, 'ca/root-key.pem'))).mode & 0o777, 0o600);
    const after = await issue(second);
    for (const leaf of [before, after]) {
      const r = await opensslVerify(dir, { caFile: certFile, leaf: leaf.certificatePem });
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(after.trustBundlePem, before.trustBundlePem);
  });

  it('reports broken state with the file it is about', async (t) => {
    const dir = await tempDir(t);
    await openCertificateAuthority({ stateDir: dir });
    const keyFile = path.join(dir, 'ca/root-key.pem');
    const certFile = path.join(dir, 'ca/root-cert.pem');
    const key = await readFile(keyFile, 'utf8');

    await assert.rejects(openCertificateAuthority({ stateDir: dir, trustDomain: 'other.local' }), {
      message: `${certFile}: root "O=maille, CN=maille root CA cluster.local" was not created for trust domain other.local (expected "O=maille, CN=maille root CA other.local"); use the trust domain it was created for, or remove ${path.join(dir, 'ca')} to create a new root`,
    });
    await writeFile(keyFile, 'not a key');
    await assert.rejects(openCertificateAuthority({ stateDir: dir }), { message: `${keyFile}: is not a PEM private key` });
    const other = await createWorkloadKeyAndCsr();
    await writeFile(keyFile, other.privateKeyPem);
    await assert.rejects(openCertificateAuthority({ stateDir: dir }), {
      message: `${keyFile}: private key does not match the certificate in ${certFile} (O=maille, CN=maille root CA cluster.local)`,
    });
    await rm(keyFile);
    await assert.rejects(openCertificateAuthority({ stateDir: dir }), new RegExp(`^Error: ${keyFile}: missing, but ${certFile} exists`));
    await writeFile(keyFile, key);
    await writeFile(certFile, 'garbage');
    await assert.rejects(openCertificateAuthority({ stateDir: dir }), { message: `${certFile}: contains no PEM certificate` });
  });

  it('replaces a key left without its certificate by an interrupted first start', async (t) => {
    const dir = await tempDir(t);
    await openCertificateAuthority({ stateDir: dir });
    const oldKey = await readFile(path.join(dir, 'ca/root-key.pem'), 'utf8');
    await rm(path.join(dir, 'ca/root-cert.pem'));
    const ca = await openCertificateAuthority({ stateDir: dir });
    assert.notEqual(await readFile(path.join(dir, 'ca/root-key.pem'), 'utf8'), oldKey);
    const r = await opensslVerify(dir, { caFile: ca.trustBundle.toPem(), leaf: (await issue(ca)).certificatePem });
    assert.equal(r.code, 0, r.stderr);
  });
});

/** A user's PKI made with openssl: an RSA root and an EC P-256 intermediate (SEC1 key file). */
async function userPki(dir: string) {
  const ext = path.join(dir, 'ext.cnf');
  await writeFile(
    ext,
    [
      '[ca]',
      'basicConstraints = critical, CA:TRUE, pathlen:0',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      '[leaf]',
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature',
      '',
    ].join('\n'),
  );
  const o = (...args: string[]) => mustOpenssl(args, dir);
  await o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'user-root.key', '-out', 'user-root.pem', '-days', '30', '-subj', '/O=Example Corp/CN=Example Root', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  await o('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'int.key');
  await o('req', '-new', '-key', 'int.key', '-out', 'int.csr', '-subj', '/O=Example Corp/CN=Example Mesh Intermediate');
  await o('x509', '-req', '-in', 'int.csr', '-CA', 'user-root.pem', '-CAkey', 'user-root.key', '-CAcreateserial', '-out', 'int.pem', '-days', '20', '-extfile', ext, '-extensions', 'ca');
  // A non-CA certificate, to be refused as a plug-in CA.
  await o('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'leaf.key');
  await o('req', '-new', '-key', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=not a ca');
  await o('x509', '-req', '-in', 'leaf.csr', '-CA', 'int.pem', '-CAkey', 'int.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '5', '-extfile', ext, '-extensions', 'leaf');
  const p = (f: string) => path.join(dir, f);
  assert.match(await readFile(p('int.key'), 'utf8'), /BEGIN EC PRIVATE KEY/, 'SEC1, as openssl ecparam writes it');
  return { rootCert: p('user-root.pem'), rootKey: p('user-root.key'), intCert: p('int.pem'), intKey: p('int.key'), leafCert: p('leaf.pem'), leafKey: p('leaf.key') };
}

describe('plug-in CA', () => {
  it('an intermediate with its chain issues SVIDs that verify to the user root', async (t) => {
    const dir = await tempDir(t);
    const pki = await userPki(dir);
    const state = path.join(dir, 'state');
    const ca = await openCertificateAuthority({ stateDir: state, plugin: { certFile: pki.intCert, keyFile: pki.intKey, chainFile: pki.rootCert } });
    assert.equal(ca.source, 'plug-in');
    assert.equal(ca.signer.root.subject, 'O=Example Corp, CN=Example Root');
    const svid = await issue(ca);
    assert.equal(svid.chainPem, await readFile(pki.intCert, 'utf8').then((pem) => new x509.X509Certificate(pem).toString('pem') + '\n'));
    assert.equal(svid.trustBundlePem, new x509.X509Certificate(await readFile(pki.rootCert, 'utf8')).toString('pem') + '\n');
    const userRoot = await readFile(pki.rootCert, 'utf8');
    const ok = await opensslVerify(dir, { caFile: userRoot, chain: svid.chainPem, leaf: svid.certificatePem });
    assert.equal(ok.code, 0, ok.stderr);
    // Without the intermediate the leaf does not verify: the chain really is needed.
    const without = await opensslVerify(dir, { caFile: userRoot, leaf: svid.certificatePem });
    assert.notEqual(without.code, 0);
    // maille keeps no copy of a plug-in CA's key.
    await assert.rejects(stat(path.join(state, 'ca/root-key.pem')), { code: 'ENOENT' });
    // The same works when the chain comes in the cert file ("full chain").
    const full = path.join(dir, 'fullchain.pem');
    await writeFile(full, (await readFile(pki.intCert, 'utf8')) + userRoot);
    const ca2 = await openCertificateAuthority({ stateDir: state, plugin: { certFile: full, keyFile: pki.intKey } });
    assert.equal(ca2.signer.root.subject, 'O=Example Corp, CN=Example Root');
  });

  it('a plug-in root (RSA) signs SVIDs directly', async (t) => {
    const dir = await tempDir(t);
    const pki = await userPki(dir);
    const ca = await openCertificateAuthority({ stateDir: dir, plugin: { certFile: pki.rootCert, keyFile: pki.rootKey } });
    const svid = await issue(ca);
    assert.equal(svid.chainPem, '');
    const r = await opensslVerify(dir, { caFile: await readFile(pki.rootCert, 'utf8'), leaf: svid.certificatePem });
    assert.equal(r.code, 0, r.stderr);
    assert.match(await mustOpenssl(['x509', '-noout', '-text', '-in', pki.rootCert]), /rsaEncryption/);
  });

  it('refuses a key that does not match, a certificate that is no CA, and an intermediate without its chain', async (t) => {
    const dir = await tempDir(t);
    const pki = await userPki(dir);
    const open = (plugin: { certFile: string; keyFile: string; chainFile?: string }) => openCertificateAuthority({ stateDir: dir, plugin });
    await assert.rejects(open({ certFile: pki.intCert, keyFile: pki.rootKey, chainFile: pki.rootCert }), {
      message: `${pki.rootKey}: private key does not match the certificate in ${pki.intCert} (O=Example Corp, CN=Example Mesh Intermediate)`,
    });
    await assert.rejects(open({ certFile: pki.leafCert, keyFile: pki.leafKey, chainFile: pki.rootCert }), {
      message: `${pki.leafCert}: "CN=not a ca" is not a CA certificate (basicConstraints CA:TRUE missing)`,
    });
    await assert.rejects(open({ certFile: pki.intCert, keyFile: pki.intKey }), {
      message: `${pki.intCert}: "O=Example Corp, CN=Example Mesh Intermediate" is not self-signed (issued by "O=Example Corp, CN=Example Root"); give the chain up to the root with --ca-chain`,
    });
    // A chain that does not contain the issuer (here: the intermediate itself).
    await assert.rejects(open({ certFile: pki.intCert, keyFile: pki.intKey, chainFile: pki.intCert }), {
      message: `${pki.intCert}: no certificate in the chain issued "O=Example Corp, CN=Example Mesh Intermediate" (looking for "O=Example Corp, CN=Example Root" with a matching signature)`,
    });
    await assert.rejects(open({ certFile: path.join(dir, 'missing.pem'), keyFile: pki.intKey }), {
      message: `${path.join(dir, 'missing.pem')}: does not exist`,
    });
  });
});
