// Root rotation on a running mesh, with real sidecar processes and the real CLI: `maille ca
// rotate-root` under continuous load loses no request; during the overlap a certificate from the
// old root and one from the new root are both accepted (the control plane restarted in the middle
// keeps both roots); once the overlap has ended only new-root chains are.
//
// The reviews DestinationRule allows one request per upstream connection, so every request through
// the mesh is a fresh mTLS handshake between the sidecars: the load crosses every phase of the
// rotation with new handshakes, not only with connections made before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { parseResources } from '../../src/api/load.js';
import { packageInfo } from '../../src/cli/package-info.js';
import { loadOrCreateRoot } from '../../src/control-plane/ca/root.js';
import { createWorkloadKeyAndCsr } from '../../src/control-plane/ca/csr.js';
import { signWorkloadCsr } from '../../src/control-plane/ca/issue.js';
import { certificatesOf, fingerprintOf } from '../../src/control-plane/ca/describe.js';
import { TrustBundle } from '../../src/control-plane/ca/trust-bundle.js';
import { startControlPlane, type ControlPlane } from '../../src/control-plane/control-plane.js';
import { MemoryRegistry } from '../../src/control-plane/registry/index.js';
import { startUpstream } from '../support/upstream.js';
import { freePort, loadLoops, outboundGetter, sidecar } from '../support/mesh.js';
import { spawnSidecarWithToken } from '../support/sidecar-process.js';

// From the package root, so the test runs the same from src (tsx) and from dist.
const ROOT = packageInfo().root;
const BIN = join(ROOT, 'bin/maille.js');
const SVID_TTL_MS = 8_000;
const OVERLAP_S = 30;

const RESOURCES = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: reviews, namespace: default}
spec:
  selector: {matchLabels: {app: reviews}}
  mtls: {mode: STRICT}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    connectionPool: {http: {maxRequestsPerConnection: 1}}
`;

interface Cli {
  code: number;
  stdout: string;
  stderr: string;
}

function maille(...args: string[]): Promise<Cli> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client certificate for `sa`, signed by whatever root is active in the state directory now. */
async function certificateFromCurrentRoot(stateDir: string, sa: string): Promise<{ cert: string; key: string; root: string }> {
  const signer = await loadOrCreateRoot(stateDir, 'cluster.local');
  const ca = { trustDomain: 'cluster.local', source: 'self-signed' as const, signer, trustBundle: new TrustBundle([{ cert: signer.root }]) };
  const { csrPem, privateKeyPem } = await createWorkloadKeyAndCsr();
  const svid = await signWorkloadCsr(ca, csrPem, { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: sa }, 3600_000);
  return { cert: svid.certificateChainPem, key: privateKeyPem, root: fingerprintOf(signer.root.rawData) };
}

/**
 * One request on a fresh mTLS connection straight to the reviews sidecar's STRICT inbound, with a
 * given client certificate: the HTTP status, or the reason the handshake or exchange failed.
 */
function mtlsGet(port: number, client: { cert: string; key: string }, ca: string): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect({ host: '127.0.0.1', port, cert: client.cert, key: client.key, ca, ALPNProtocols: ['http/1.1'], checkServerIdentity: () => undefined, minVersion: 'TLSv1.3' });
    const timer = setTimeout(() => socket.destroy(new Error('timeout')), 5000);
    socket.on('secureConnect', () => socket.write('GET /x HTTP/1.1\r\nhost: reviews\r\nconnection: close\r\n\r\n'));
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', (err) => {
      clearTimeout(timer);
      resolve(`error: ${err.message}`);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? `closed without an answer`);
    });
  });
}

interface CaStatusJson {
  signingRoot: string;
  roots: { fingerprint: string; state: string; notAfter?: string; trustedUntil?: string }[];
  overlapEndsAt?: string;
}
interface SecretJson {
  certificate: { rootFingerprint: string; serialNumber: string; certificateChainPem: string };
  trustBundle: { roots: number; certificates: { fingerprint: string }[]; acknowledged: boolean };
}

async function caStatus(sd: string[]): Promise<CaStatusJson> {
  const r = await maille('ca', 'status', '-o', 'json', ...sd);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as CaStatusJson;
}

async function secretOf(node: string, sd: string[]): Promise<SecretJson> {
  const r = await maille('proxy-config', node, 'secret', '-o', 'json', ...sd);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as SecretJson;
}

/** Polls `check` (which throws while not yet true) until it passes or `ms` ran out (then rethrows). */
async function eventually<T>(check: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

test('root rotation under load: no request lost, both roots during the overlap (across a control-plane restart), only the new one after', async () => {
  const app = await startUpstream('reviews');
  const stateDir = mkdtempSync(join(tmpdir(), 'maille-root-rotation-'));
  const dir = mkdtempSync(join(tmpdir(), 'maille-root-rotation-files-'));
  const sd = ['--state-dir', stateDir];
  const registry = new MemoryRegistry();
  registry.upsertService({ name: 'reviews', ports: [{ port: 9080 }] });
  registry.upsertService({ name: 'client', ports: [{ port: 8080 }] });
  const resources = parseResources(RESOURCES, 'rotation.yaml');
  const start = (port: number): Promise<ControlPlane> =>
    startControlPlane({ stateDir, trustDomain: 'cluster.local', rootNamespace: 'istio-system', port, resources, registry, svidTtlMs: SVID_TTL_MS });
  let cp = await start(0);
  const cpPort = cp.port;
  const bundleFile = join(stateDir, 'ca', 'trust-bundle.pem');
  const server = await sidecar('reviews', app.port);
  const client = await sidecar('client', await freePort());
  const children: ChildProcess[] = [];
  const { get, close } = outboundGetter(client.ports.outbound, 'http://reviews:9080/x');
  // What failed and when, against the phases, for a failure message a person can act on.
  const events: string[] = [];
  const mark = (what: string): number => events.push(`${new Date().toISOString()} ${what}`);
  try {
    for (const s of [server, client]) children.push(await spawnSidecarWithToken(dir, cpPort, bundleFile, s, cp.expect(s.expected, s.node.id)));
    const ready = Date.now() + 20_000;
    while ((await get()) !== 200 && Date.now() < ready) await sleep(100);

    const before = await caStatus(sd);
    assert.equal(before.roots.length, 1);
    assert.equal(before.overlapEndsAt, undefined);
    const oldRoot = before.signingRoot;
    const oldCert = await certificateFromCurrentRoot(stateDir, 'old-client');
    assert.equal(oldCert.root, oldRoot);
    const bundleBefore = readFileSync(bundleFile, 'utf8');
    assert.equal(await mtlsGet(server.ports.inbound, oldCert, bundleBefore), '200');

    const load = loadLoops(async () => {
      const status = await get();
      if (status !== 200) mark(`request failed: ${status}`);
      return status;
    }, 4, 90_000);
    await sleep(500);

    // Rotate through the CLI; it answers once the proxies have both roots and the new one signs.
    mark('rotate-root');
    const rotated = await maille('ca', 'rotate-root', '--overlap', `${OVERLAP_S}s`, ...sd);
    assert.equal(rotated.code, 0, rotated.stderr);
    mark('rotated');
    const lines = rotated.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^new root ([0-9A-F]{2}:){31}[0-9A-F]{2} signs new certificates$/);
    assert.match(lines[1], new RegExp(`^old root ${oldRoot} stays trusted until \\d{4}-\\d\\d-\\d\\dT`));
    assert.equal(lines[2], 'trust bundle acknowledged by 2 of 2 proxies');
    const during = await caStatus(sd);
    const newRoot = during.signingRoot;
    assert.notEqual(newRoot, oldRoot);
    assert.deepEqual(
      during.roots.map((r) => [r.fingerprint, r.state]),
      [
        [newRoot, 'active'],
        [oldRoot, 'retired'],
      ],
    );
    const table = await maille('ca', 'status', ...sd);
    assert.equal(table.code, 0, table.stderr);
    const tableLines = table.stdout.trimEnd().split('\n');
    assert.deepEqual(tableLines.slice(0, 2), ['trust domain cluster.local, self-signed CA, workload certificates live 8s', `rotation overlap ends ${during.overlapEndsAt}`]);
    assert.match(tableLines[3], /^ROOT FINGERPRINT \(SHA-256\) +STATE +SIGNS +NOT AFTER +TRUSTED UNTIL$/);
    assert.deepEqual(
      tableLines.slice(4).map((l) => l.split(/\s+/).slice(0, 3).concat(l.split(/\s+/)[4])),
      [
        [newRoot, 'active', 'yes', during.roots[0].notAfter ?? ''],
        [oldRoot, 'retired', 'no', during.overlapEndsAt ?? ''],
      ],
    );
    const overlapEndsAt = Date.parse(during.overlapEndsAt ?? '');
    assert.ok(overlapEndsAt > Date.now(), during.overlapEndsAt);
    const bothRoots = readFileSync(bundleFile, 'utf8');
    assert.deepEqual(certificatesOf(bothRoots).map((c) => fingerprintOf(c.raw)).sort(), [newRoot, oldRoot].sort());

    // During the overlap: an old-root and a new-root certificate are both accepted.
    const newCert = await certificateFromCurrentRoot(stateDir, 'new-client');
    assert.equal(newCert.root, newRoot);
    assert.equal(await mtlsGet(server.ports.inbound, oldCert, bothRoots), '200');
    assert.equal(await mtlsGet(server.ports.inbound, newCert, bothRoots), '200');
    // Each sidecar has acknowledged both roots and renews onto the new one (8 s certificates, so
    // they renew during the test; bootstrap-after-restart.test.ts covers certificates that expire
    // while the control plane is down).
    for (const node of [server.node.id, client.node.id]) {
      const secret = await eventually(async () => {
        const s = await secretOf(node, sd);
        assert.equal(s.certificate.rootFingerprint, newRoot, `${node} renewed from the new root`);
        assert.equal(s.trustBundle.acknowledged, true);
        return s;
      }, 15_000);
      assert.deepEqual(secret.trustBundle.certificates.map((c) => c.fingerprint).sort(), [newRoot, oldRoot].sort());
    }

    // The control plane restarts during the overlap: both roots come back, sidecars resync.
    assert.ok(Date.now() < overlapEndsAt - 3000, 'still inside the overlap before the restart');
    mark('control plane restart');
    await cp.close();
    await sleep(300);
    cp = await start(cpPort);
    mark('control plane back');
    for (const s of [server, client]) cp.expect(s.expected, s.node.id);
    const restarted = await caStatus(sd);
    assert.equal(restarted.signingRoot, newRoot);
    assert.deepEqual(restarted.roots.map((r) => r.fingerprint), [newRoot, oldRoot]);
    assert.equal(Date.parse(restarted.overlapEndsAt ?? ''), overlapEndsAt);
    await eventually(async () => assert.equal(cp.status().filter((p) => p.state === 'synced').length, 2), 15_000);
    assert.equal(await mtlsGet(server.ports.inbound, oldCert, bothRoots), '200');

    // After the overlap: the old root is gone everywhere; only new-root chains are accepted.
    await sleep(Math.max(0, overlapEndsAt - Date.now()));
    mark('overlap ended');
    const after = await eventually(async () => {
      const s = await caStatus(sd);
      assert.deepEqual(s.roots.map((r) => r.fingerprint), [newRoot]);
      return s;
    }, 5_000);
    assert.equal(after.overlapEndsAt, undefined);
    for (const node of [server.node.id, client.node.id]) {
      await eventually(async () => {
        const s = await secretOf(node, sd);
        assert.deepEqual(s.trustBundle.certificates.map((c) => c.fingerprint), [newRoot]);
        assert.equal(s.trustBundle.acknowledged, true);
      }, 10_000);
    }
    const newOnly = readFileSync(bundleFile, 'utf8');
    assert.equal(certificatesOf(newOnly).length, 1);
    assert.match(await mtlsGet(server.ports.inbound, oldCert, bothRoots), /^(error: |closed without an answer)/);
    assert.equal(await mtlsGet(server.ports.inbound, newCert, newOnly), '200');
    await sleep(1000);
    await load.stop();

    assert.ok(load.statuses.length > 200, `requests during the test: ${load.statuses.length}`);
    const failed = load.statuses.filter((s) => s !== 200);
    assert.equal(failed.length, 0, `failed: ${failed.length} of ${load.statuses.length}:\n${events.join('\n')}`);
  } finally {
    close();
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await cp.close();
    await app.close();
  }
});
