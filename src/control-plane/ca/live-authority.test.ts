import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openCertificateAuthority } from './authority.js';
import { certificatesOf, fingerprintOf } from './describe.js';
import { CaOperationError, LiveAuthority, trustBundleFile, type OwnCredentials } from './live-authority.js';
import { rootPaths } from './root.js';
import { retiredRootsPath } from './rotation.js';
import { tempDir } from './testing.js';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const own = { trustDomain: 'cluster.local', namespace: 'istio-system', serviceAccount: 'maille-control-plane' };

function issuerFingerprint(chainPem: string, rootsPem: string): string | undefined {
  const leaf = certificatesOf(chainPem)[0];
  const root = certificatesOf(rootsPem).find((r) => leaf.checkIssued(r) && leaf.verify(r.publicKey));
  return root && fingerprintOf(root.raw);
}

describe('the live CA', () => {
  it('rotates in two phases, then drops the old root when the overlap ends', async (t) => {
    const dir = await tempDir(t);
    const live = await LiveAuthority.start({ ca: await openCertificateAuthority({ stateDir: dir }), stateDir: dir, ownIdentity: own, svidTtlMs: 1000, log: quiet });
    t.after(() => live.close());
    const oldRoot = live.status().signingRoot;
    const credentials: OwnCredentials[] = [];
    let duringPush: { roots: number; signing: string } | undefined;
    live.attach({
      propagate: () => {
        // Phase 1: proxies are being told about both roots; the old one still signs.
        duringPush = { roots: certificatesOf(live.trustBundlePem()).length, signing: fingerprintOf(live.authority().signer.root.rawData) };
        return Promise.resolve({ proxies: 2, acknowledged: 2, pending: [] });
      },
      onCredentials: (c) => credentials.push(c),
    });

    await assert.rejects(live.rotate(999), (err: unknown) => err instanceof CaOperationError && err.status === 400 && /overlap 999ms is shorter than the workload certificate lifetime \(1s\)/.test(err.message));
    const result = await live.rotate(1500);
    assert.deepEqual(duringPush, { roots: 2, signing: oldRoot });
    assert.equal(result.previousRoot.fingerprint, oldRoot);
    assert.notEqual(result.newRoot.fingerprint, oldRoot);
    assert.deepEqual(result.propagation, { proxies: 2, acknowledged: 2, pending: [] });

    // Phase 2: the new root signs, the control plane's own certificate included.
    const status = live.status();
    assert.equal(status.signingRoot, result.newRoot.fingerprint);
    assert.deepEqual(
      status.roots.map((r) => [r.fingerprint, r.state]),
      [
        [result.newRoot.fingerprint, 'active'],
        [oldRoot, 'retired'],
      ],
    );
    assert.equal(status.overlapEndsAt, result.overlapEndsAt);
    const last = credentials[credentials.length - 1];
    assert.equal(issuerFingerprint(last.certChainPem, last.trustBundlePem), result.newRoot.fingerprint);
    assert.equal(certificatesOf(last.trustBundlePem).length, 2);

    // On disk: the new root (key 0600), the old one retired, the bundle file with both.
    const paths = rootPaths(dir);
    assert.equal((await stat(paths.key)).mode & 0o777, 0o600);
    assert.equal(fingerprintOf(new X509Certificate(await readFile(paths.cert)).raw), result.newRoot.fingerprint);
    assert.equal((JSON.parse(await readFile(retiredRootsPath(dir), 'utf8')) as { retiredRoots: unknown[] }).retiredRoots.length, 1);
    assert.equal(certificatesOf(await readFile(trustBundleFile(dir), 'utf8')).length, 2);

    // A restart during the overlap trusts both roots and signs with the new one.
    const reopened = await openCertificateAuthority({ stateDir: dir });
    assert.equal(reopened.trustBundle.trusted().length, 2);
    assert.equal(fingerprintOf(reopened.signer.root.rawData), result.newRoot.fingerprint);

    // The overlap ends: the old root leaves the bundle, the state directory and the listener.
    const deadline = Date.now() + 10_000;
    // The status and the pushed credentials change in separate steps: wait for both.
    const bundleRoots = (): number => certificatesOf(credentials[credentials.length - 1].trustBundlePem).length;
    while ((live.status().roots.length > 1 || bundleRoots() > 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(live.status().roots.map((r) => r.fingerprint), [result.newRoot.fingerprint]);
    assert.equal(live.status().overlapEndsAt, undefined);
    assert.equal(bundleRoots(), 1);
    while (certificatesOf(await readFile(trustBundleFile(dir), 'utf8')).length > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(certificatesOf(await readFile(trustBundleFile(dir), 'utf8')).length, 1);
    assert.deepEqual(JSON.parse(await readFile(retiredRootsPath(dir), 'utf8')), { retiredRoots: [] });
    assert.equal(path.basename(trustBundleFile(dir)), 'trust-bundle.pem');
  });

  it('refuses a second rotation while one is pushing the bundle', async (t) => {
    const dir = await tempDir(t);
    const live = await LiveAuthority.start({ ca: await openCertificateAuthority({ stateDir: dir }), stateDir: dir, ownIdentity: own, svidTtlMs: 1000, log: quiet });
    t.after(() => live.close());
    let release!: () => void;
    live.attach({
      propagate: () => new Promise((r) => (release = () => r({ proxies: 0, acknowledged: 0, pending: [] }))),
      onCredentials: () => {},
    });
    const first = live.rotate(60_000);
    await new Promise((r) => setTimeout(r, 200));
    await assert.rejects(live.rotate(60_000), (err: unknown) => err instanceof CaOperationError && err.status === 409 && err.code === 'MAILLE_ERR_ROTATION_IN_PROGRESS');
    release();
    await first;
  });
});
