import assert from 'node:assert/strict';
import { cp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openCertificateAuthority } from './authority.js';
import { createWorkloadKeyAndCsr } from './csr.js';
import { signWorkloadCsr } from './issue.js';
import { DEFAULT_OVERLAP_MS, renewAt, rotateRoot } from './rotation.js';
import { mtlsExchange, opensslVerify, tempDir } from './testing.js';
import type { CertificateAuthority } from './types.js';
import { parseCertificates } from './x509.js';

const HOUR = 3600_000;

async function svid(ca: CertificateAuthority, serviceAccount: string, now?: Date) {
  const { csrPem, privateKeyPem } = await createWorkloadKeyAndCsr();
  const issued = await signWorkloadCsr(ca, csrPem, { trustDomain: ca.trustDomain, namespace: 'default', serviceAccount }, undefined, { now });
  return { ...issued, key: privateKeyPem };
}

describe('root rotation', () => {
  it('trusts old and new roots during the overlap, only the new one after it', async (t) => {
    const dir = await tempDir(t);
    const t0 = new Date();
    const ca = await openCertificateAuthority({ stateDir: dir, now: t0 });
    const oldLeaf = await svid(ca, 'reviews', t0);

    const rotated = await rotateRoot(ca, dir, { overlapMs: HOUR, now: t0 });
    assert.notEqual(rotated.signer.root.serialNumber, ca.signer.root.serialNumber, 'issuance switched to a new root');
    const newLeaf = await svid(rotated, 'productpage', t0);
    assert.match(newLeaf.certificatePem, /CERTIFICATE/);

    // During the overlap: the bundle lists both roots, and both leaves verify against it.
    const during = new Date(t0.getTime() + HOUR / 2);
    const bundleDuring = rotated.trustBundle.toPem(during);
    assert.equal(parseCertificates(bundleDuring).length, 2);
    assert.equal(newLeaf.trustBundlePem, rotated.trustBundle.toPem(t0));
    for (const leaf of [oldLeaf, newLeaf]) {
      const r = await opensslVerify(dir, { caFile: bundleDuring, leaf: leaf.certificatePem });
      assert.equal(r.code, 0, `${leaf.spiffeId}: ${r.stderr}`);
    }
    // And node:tls peers holding one leaf of each root talk to each other, both ways round.
    const oldPeer = { key: oldLeaf.key, cert: oldLeaf.certificateChainPem, ca: bundleDuring };
    const newPeer = { key: newLeaf.key, cert: newLeaf.certificateChainPem, ca: bundleDuring };
    for (const [server, client] of [[oldPeer, newPeer], [newPeer, oldPeer]]) {
      const r = await mtlsExchange(server, client, 'cluster.local');
      assert.equal(r.serverError, undefined);
      assert.equal(r.clientError, undefined);
      assert.equal(r.clientReceived, 'bye');
    }

    // After the overlap: only the new root; the old root's leaves no longer verify.
    const after = new Date(t0.getTime() + HOUR + 1000);
    const bundleAfter = rotated.trustBundle.toPem(after);
    assert.deepEqual(parseCertificates(bundleAfter).map((c) => c.serialNumber), [rotated.signer.root.serialNumber]);
    assert.equal((await opensslVerify(dir, { caFile: bundleAfter, leaf: newLeaf.certificatePem })).code, 0);
    const refused = await opensslVerify(dir, { caFile: bundleAfter, leaf: oldLeaf.certificatePem });
    assert.notEqual(refused.code, 0);
    const r = await mtlsExchange({ ...newPeer, ca: bundleAfter }, { ...oldPeer, ca: bundleAfter }, 'cluster.local');
    assert.equal(r.serverSawClient, undefined, 'an old-root client is refused after the overlap');
    assert.equal((await svid(rotated, 'web', after)).trustBundlePem, bundleAfter);
    assert.equal(rotated.trustBundle.nextChange(during)?.getTime(), t0.getTime() + HOUR, 'the control plane knows when to push the shrunk bundle');
  });

  it('persists the rotation: a restart during the overlap keeps both roots, after it only the new one', async (t) => {
    const dir = await tempDir(t);
    const t0 = new Date();
    const ca = await openCertificateAuthority({ stateDir: dir, now: t0 });
    const rotated = await rotateRoot(ca, dir, { overlapMs: HOUR, now: t0 });
    assert.equal((await stat(path.join(dir, 'ca/root-key.pem'))).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(path.join(dir, 'ca'))).sort(), ['retired-roots.json', 'root-cert.pem', 'root-key.pem'], 'no journal or temp file left');

    const reopened = await openCertificateAuthority({ stateDir: dir, now: new Date(t0.getTime() + HOUR / 2) });
    assert.equal(reopened.signer.root.serialNumber, rotated.signer.root.serialNumber);
    assert.deepEqual(
      reopened.trustBundle.trusted(new Date(t0.getTime() + HOUR / 2)).map((c) => c.serialNumber),
      [rotated.signer.root.serialNumber, ca.signer.root.serialNumber],
    );
    const leaf = await svid(reopened, 'web');
    assert.equal((await opensslVerify(dir, { caFile: await readFile(path.join(dir, 'ca/root-cert.pem'), 'utf8'), leaf: leaf.certificatePem })).code, 0);

    const later = await openCertificateAuthority({ stateDir: dir, now: new Date(t0.getTime() + 2 * HOUR) });
    assert.equal(later.trustBundle.roots.length, 1);
    assert.deepEqual(JSON.parse(await readFile(path.join(dir, 'ca/retired-roots.json'), 'utf8')), { retiredRoots: [] }, 'the ended overlap is forgotten on disk');
  });

  it('a second rotation within the overlap keeps every root whose overlap has not ended', async (t) => {
    const dir = await tempDir(t);
    const t0 = new Date();
    const ca0 = await openCertificateAuthority({ stateDir: dir, now: t0 });
    const ca1 = await rotateRoot(ca0, dir, { overlapMs: HOUR, now: t0 });
    const ca2 = await rotateRoot(ca1, dir, { overlapMs: 2 * HOUR, now: new Date(t0.getTime() + HOUR / 2) });
    const serials = (at: number) => ca2.trustBundle.trusted(new Date(t0.getTime() + at)).map((c) => c.serialNumber);
    assert.deepEqual(serials(HOUR / 2 + 1), [ca2.signer.root.serialNumber, ca0.signer.root.serialNumber, ca1.signer.root.serialNumber]);
    assert.deepEqual(serials(HOUR + 1), [ca2.signer.root.serialNumber, ca1.signer.root.serialNumber]);
    assert.deepEqual(serials(3 * HOUR), [ca2.signer.root.serialNumber]);
  });

  it('finishes a rotation interrupted by a crash on the next start', async (t) => {
    // State as a crash leaves it right after the journal was written: old root files, plus journal.
    const dir = await tempDir(t);
    const crashed = path.join(dir, 'crashed');
    const done = path.join(dir, 'done');
    const t0 = new Date();
    const ca = await openCertificateAuthority({ stateDir: done, now: t0 });
    await cp(done, crashed, { recursive: true });
    const rotated = await rotateRoot(ca, done, { overlapMs: HOUR, now: t0 });
    const read = (f: string) => readFile(path.join(done, 'ca', f), 'utf8');
    const journal = {
      newRootCertificate: await read('root-cert.pem'),
      newRootKey: await read('root-key.pem'),
      retiredRoots: (JSON.parse(await read('retired-roots.json')) as { retiredRoots: unknown[] }).retiredRoots,
    };
    await writeFile(path.join(crashed, 'ca/rotation-journal.json'), JSON.stringify(journal), { mode: 0o600 });

    const recovered = await openCertificateAuthority({ stateDir: crashed, now: t0 });
    assert.equal(recovered.signer.root.serialNumber, rotated.signer.root.serialNumber);
    assert.equal(recovered.trustBundle.roots.length, 2);
    assert.deepEqual((await readdir(path.join(crashed, 'ca'))).sort(), ['retired-roots.json', 'root-cert.pem', 'root-key.pem']);
    assert.equal((await stat(path.join(crashed, 'ca/root-key.pem'))).mode & 0o777, 0o600);
  });

  it('refuses to rotate a plug-in CA and a non-positive overlap', async (t) => {
    const dir = await tempDir(t);
    const ca = await openCertificateAuthority({ stateDir: dir });
    await assert.rejects(rotateRoot({ ...ca, source: 'plug-in' }, dir), /plug-in CA is rotated by replacing its files/);
    await assert.rejects(rotateRoot(ca, dir, { overlapMs: 0 }), /overlap must be a positive duration/);
    assert.equal(DEFAULT_OVERLAP_MS, 48 * HOUR);
  });
});

describe('renewAt', () => {
  it('is the half-life of the certificate', async (t) => {
    const ca = await openCertificateAuthority({ stateDir: await tempDir(t) });
    const leaf = await svid(ca, 'web');
    const expected = leaf.notBefore.getTime() + (leaf.notAfter.getTime() - leaf.notBefore.getTime()) / 2;
    assert.equal(renewAt(leaf.certificatePem).getTime(), expected);
    assert.equal(renewAt({ notBefore: new Date(0), notAfter: new Date(24 * HOUR) }).getTime(), 12 * HOUR);
  });
});
