// `maille proxy-config` and `maille tls-check` against a running `maille run`, as a user types
// them: real CLI processes finding the configuration API through the state directory, and
// PeerAuthentication / DestinationRule changes applied with `maille apply` showing up in the rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { controlPlaneSpiffeId } from '../../src/control-plane/discovery/protocol.js';
import { packageInfo } from '../../src/cli/package-info.js';
import { createKeyAndCsr } from '../../src/proxy/config/control-plane-client/csr.js';
import { closeSession, connectSession } from '../../src/proxy/config/control-plane-client/session.js';
import { callSign } from '../../src/proxy/config/control-plane-client/sign-call.js';
import { startExampleMesh, type ExampleMeshRun } from '../support/maille-run.js';

// From the package root, so the test runs the same from src (tsx) and from dist.
const ROOT = packageInfo().root;
const BIN = join(ROOT, 'bin/maille.js');

const REVIEWS_DISABLE = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: reviews, namespace: default}
spec:
  selector: {matchLabels: {app: reviews}}
  mtls: {mode: DISABLE}
`;

// The mesh file's subsets, plus mTLS forced on whatever the servers accept.
const REVIEWS_ISTIO_MUTUAL = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy:
    tls: {mode: ISTIO_MUTUAL}
  subsets:
    - {name: v1, labels: {version: v1}}
    - {name: v2, labels: {version: v2}}
`;

const CLIENT_ID = 'spiffe://cluster.local/ns/default/sa/client';
const REVIEWS_ID = 'spiffe://cluster.local/ns/default/sa/reviews';
const REVIEWS = 'reviews.default.svc.cluster.local';

function maille(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const normalSerial = (s: string): string => s.toUpperCase().replace(/^(00)+(?=..)/, '');

/** The certificate a sidecar's (PERMISSIVE) inbound presents to a TLS client. */
function servedCertificate(port: number): Promise<{ serialNumber: string; fingerprint256: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      resolve({ serialNumber: cert.serialNumber, fingerprint256: cert.fingerprint256 });
    });
    socket.on('error', reject);
  });
}

/** Table rows after the header, split on runs of spaces (cells here hold no spaces). */
function rowsOf(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.split(/\s+/));
}

/** Runs the command until `ok` holds for its output, or fails after `ms` with the last output. */
async function eventually(args: string[], ok: (out: { code: number; stdout: string; stderr: string }) => boolean, what: string, ms = 10_000): Promise<string> {
  const deadline = Date.now() + ms;
  let last = await maille(...args);
  while (!ok(last) && Date.now() < deadline) {
    await sleep(100);
    last = await maille(...args);
  }
  assert.ok(ok(last), `${what}: ${JSON.stringify(last)}`);
  return last.stdout;
}

/** `maille run` with all three proxies connected; the inbound port of each workload from its table. */
async function startRun(stateDir: string): Promise<ExampleMeshRun & { inbound: Map<string, number> }> {
  const run = await startExampleMesh(stateDir);
  const inbound = new Map(['client-v1-0', 'reviews-v1-0', 'reviews-v2-0'].map((name) => [name, run.row(name).inbound]));
  return { ...run, inbound };
}

test('maille proxy-config and tls-check against maille run; PeerAuthentication and DestinationRule changes show', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'maille-pc-'));
  const dir = mkdtempSync(join(tmpdir(), 'maille-pc-files-'));
  const disable = join(dir, 'pa-disable.yaml');
  writeFileSync(disable, REVIEWS_DISABLE);
  const mutual = join(dir, 'dr-mutual.yaml');
  writeFileSync(mutual, REVIEWS_ISTIO_MUTUAL);
  const sd = ['--state-dir', stateDir];

  const run = await startRun(stateDir);
  try {
    // Synced: every proxy has ACKed, and the client knows both reviews endpoints.
    await eventually(['proxy-status', ...sd], (r) => r.stdout.split('\n').filter((l) => / synced /.test(l)).length === 3, 'three proxies synced');
    const initial = await eventually(
      ['tls-check', 'client-v1-0', ...sd],
      (r) => r.code === 0 && rowsOf(r.stdout).length === 3 && rowsOf(r.stdout).every((row) => row[3] === 'PERMISSIVE'),
      'tls-check with every destination known',
    );

    // tls-check: one row per outbound cluster; auto mTLS to PERMISSIVE servers.
    const lines = initial.trimEnd().split('\n');
    assert.match(lines[0], /^HOST:PORT +SUBSET +CLIENT +SERVER +CLIENT IDENTITY +SERVER IDENTITIES +STATUS$/);
    assert.deepEqual(rowsOf(initial), [
      ['client.default.svc.cluster.local:8080', '-', 'mTLS', 'PERMISSIVE', CLIENT_ID, CLIENT_ID, 'OK'],
      [`${REVIEWS}:9080`, 'v1', 'mTLS', 'PERMISSIVE', CLIENT_ID, REVIEWS_ID, 'OK'],
      [`${REVIEWS}:9080`, 'v2', 'mTLS', 'PERMISSIVE', CLIENT_ID, REVIEWS_ID, 'OK'],
    ]);
    // A prefix names the one proxy it matches; SERVICE keeps that service's clusters only.
    const onlyReviews = await maille('tls-check', 'client', 'reviews', '-o', 'json', ...sd);
    assert.equal(onlyReviews.code, 0, onlyReviews.stderr);
    const data = JSON.parse(onlyReviews.stdout) as { cluster: string; client: string; server: string[]; status: string }[];
    assert.deepEqual(
      data.map((r) => [r.cluster, r.client, r.server, r.status]),
      [
        [`outbound|9080|v1|${REVIEWS}`, 'mTLS', ['PERMISSIVE'], 'OK'],
        [`outbound|9080|v2|${REVIEWS}`, 'mTLS', ['PERMISSIVE'], 'OK'],
      ],
    );

    // proxy-config routes: the mesh file's header route and 50/50 split.
    const routes = await maille('proxy-config', 'client-v1-0', 'routes', ...sd);
    assert.equal(routes.code, 0, routes.stderr);
    const routeLines = routes.stdout.trimEnd().split('\n');
    assert.match(routeLines[0], /^ROUTE CONFIG +VIRTUAL HOST +DOMAINS +ROUTE +MATCH +DESTINATIONS$/);
    const jason = routeLines.find((l) => l.includes(' default/reviews/0 '));
    assert.match(jason ?? '', new RegExp(`^outbound +${REVIEWS}:9080 +reviews,reviews:9080 \\+6 more +default/reviews/0 +header end-user=jason +outbound\\|9080\\|v2\\|${REVIEWS}$`));
    const split = routeLines.find((l) => l.includes(' default/reviews/1 '));
    assert.match(split ?? '', new RegExp(` \\* +outbound\\|9080\\|v1\\|${REVIEWS}@50,outbound\\|9080\\|v2\\|${REVIEWS}@50$`));

    // clusters: mTLS with the expected identities, one endpoint each.
    const clusters = await maille('proxy-config', 'client-v1-0', 'clusters', ...sd);
    assert.equal(clusters.code, 0, clusters.stderr);
    const clusterLines = clusters.stdout.trimEnd().split('\n');
    assert.match(clusterLines[0], /^NAME +PROTOCOL +LB +MTLS +ENDPOINTS$/);
    for (const subset of ['v1', 'v2']) {
      const row = clusterLines.find((l) => l.startsWith(`outbound|9080|${subset}|${REVIEWS} `));
      assert.match(row ?? '', new RegExp(` +http1 +round_robin +yes \\(${REVIEWS_ID.replace(/[.]/g, '\\.')}\\) +1$`), clusters.stdout);
    }

    // endpoints: each reviews subset points at that workload's inbound port, with its labels.
    const endpoints = await maille('proxy-config', 'client-v1-0', 'endpoints', ...sd);
    assert.equal(endpoints.code, 0, endpoints.stderr);
    assert.match(endpoints.stdout.split('\n')[0], /^CLUSTER +ENDPOINT +HEALTHY +LABELS$/);
    const endpointRows = rowsOf(endpoints.stdout);
    for (const subset of ['v1', 'v2']) {
      assert.deepEqual(
        endpointRows.filter((r) => r[0] === `outbound|9080|${subset}|${REVIEWS}`),
        [[`outbound|9080|${subset}|${REVIEWS}`, `127.0.0.1:${run.inbound.get(`reviews-${subset}-0`)}`, 'yes', `app=reviews,version=${subset}`]],
      );
    }

    // secret: the client's identity and its 24 h certificate, never a private key; then the roots
    // it was sent (one, acknowledged), marked with the one that issued the certificate.
    const secret = await maille('proxy-config', 'client-v1-0', 'secret', ...sd);
    assert.equal(secret.code, 0, secret.stderr);
    const [certTable, bundleTable] = secret.stdout.trimEnd().split('\n\n');
    assert.match(certTable.split('\n')[0], /^IDENTITY +SERIAL +NOT BEFORE +NOT AFTER +ROOT +TRUST ROOTS +BUNDLE ACKED$/);
    const [[identity, serial, , notAfter, rootPrefix, roots, acked]] = rowsOf(certTable);
    assert.equal(identity, CLIENT_ID);
    assert.match(serial, /^[0-9a-f]{16,}$/i);
    const left = Date.parse(notAfter) - Date.now();
    assert.ok(left > 23 * 3600_000 && left <= 24 * 3600_000 + 60_000, notAfter);
    assert.deepEqual([roots, acked], ['1', 'yes']);
    const ca = JSON.parse((await maille('ca', 'status', '-o', 'json', ...sd)).stdout) as { signingRoot: string; roots: { fingerprint: string; notAfter: string }[] };
    assert.ok(ca.signingRoot.startsWith(`${rootPrefix}:`), `${rootPrefix} is the start of ${ca.signingRoot}`);
    assert.match(bundleTable.split('\n')[0], /^TRUST BUNDLE ROOT \(SHA-256\) +NOT AFTER +ISSUED THE CERTIFICATE$/);
    assert.deepEqual(rowsOf(bundleTable), [[ca.signingRoot, ca.roots[0].notAfter, 'yes']]);

    // Per proxy, not per identity: reviews-v1-0 and reviews-v2-0 share an identity, and each
    // proxy-config shows the certificate that proxy presents on its inbound port.
    for (const name of ['reviews-v1-0', 'reviews-v2-0', 'client-v1-0']) {
      const data = JSON.parse((await maille('proxy-config', name, 'secret', '-o', 'json', ...sd)).stdout) as { certificate: { serialNumber: string; certificateChainPem: string } };
      const presented = await servedCertificate(run.inbound.get(name)!);
      assert.equal(normalSerial(data.certificate.serialNumber), normalSerial(presented.serialNumber), name);
      assert.equal(new X509Certificate(data.certificate.certificateChainPem).fingerprint256, presented.fingerprint256, name);
    }

    const all = await maille('proxy-config', 'client-v1-0', 'all', ...sd);
    assert.equal(all.code, 0, all.stderr);
    const everything = JSON.parse(all.stdout) as { nodeId: string; spiffeId: string; snapshot: { clusters: unknown[] }; certificate: { serialNumber: string } };
    assert.equal(everything.nodeId, 'client-v1-0');
    assert.equal(everything.spiffeId, CLIENT_ID);
    assert.equal(everything.certificate.serialNumber, serial);
    assert.equal(everything.snapshot.clusters.length, 4);
    assert.doesNotMatch(all.stdout, /PRIVATE KEY|privateKey/);
    const yaml = await maille('proxy-config', 'client-v1-0', 'secret', '-o', 'yaml', ...sd);
    assert.match(yaml.stdout, new RegExp(`^spiffeId: ${CLIENT_ID}\n`));

    // The Sign call names the node; a proxy cannot obtain (or be recorded as) another node, neither
    // with its bootstrap token nor with the certificate it renews with.
    const cpLine = run.lines.find((l) => /^control plane 127\.0\.0\.1:\d+$/.test(l));
    assert.ok(cpLine, run.lines.join('\n'));
    const session = (certificate?: { certChainPem: string; privateKeyPem: string }) =>
      connectSession({
        address: '127.0.0.1',
        port: Number(cpLine.split(':')[1]),
        trustBundlePem: readFileSync(join(stateDir, 'ca', 'trust-bundle.pem'), 'utf8'),
        controlPlaneId: controlPlaneSpiffeId('cluster.local'),
        trustDomain: 'cluster.local',
        timeoutMs: 5000,
        ...certificate,
      });
    const clientToken = readFileSync(join(stateDir, 'run', 'client-v1-0', 'token'), 'utf8').trim();
    const tokenSession = await session();
    try {
      await assert.rejects(callSign(tokenSession, createKeyAndCsr(CLIENT_ID).csrPem, clientToken, 5000, 'reviews-v1-0'), {
        code: 'MAILLE_ERR_PERMISSION_DENIED',
        message: "certificate request refused: the bootstrap token was issued for node client-v1-0, not reviews-v1-0; a proxy can only obtain its own node's certificate",
      });
      const own = createKeyAndCsr(CLIENT_ID);
      const issued = await callSign(tokenSession, own.csrPem, clientToken, 5000, 'client-v1-0');
      const certSession = await session({ certChainPem: issued.certChain, privateKeyPem: own.privateKeyPem });
      try {
        await assert.rejects(callSign(certSession, createKeyAndCsr(CLIENT_ID).csrPem, undefined, 5000, 'reviews-v2-0'), {
          code: 'MAILLE_ERR_PERMISSION_DENIED',
          message: "certificate request refused: the certificate presented was issued to node client-v1-0; it cannot obtain node reviews-v2-0's certificate",
        });
      } finally {
        await closeSession(certSession);
      }
    } finally {
      await closeSession(tokenSession);
    }

    // Errors: one line each, exit 1.
    assert.deepEqual(await maille('proxy-config', 'reviews', 'routes', ...sd), {
      code: 1,
      stdout: '',
      stderr: 'maille: reviews names 2 proxies (reviews-v1-0, reviews-v2-0); give one of them\n',
    });
    assert.deepEqual(await maille('proxy-config', 'nope', 'routes', ...sd), { code: 1, stdout: '', stderr: 'maille: no proxy "nope" (see maille proxy-status)\n' });
    assert.equal(
      (await maille('proxy-config', 'client', 'listeners', ...sd)).stderr,
      `maille: proxy-config: unknown section "listeners"; allowed: routes, clusters, endpoints, secret, all; see 'maille proxy-config --help'\n`,
    );
    assert.deepEqual(await maille('tls-check', 'client', 'ratings', ...sd), { code: 1, stdout: '', stderr: 'maille: client-v1-0 has no destination ratings\n' });

    // PeerAuthentication DISABLE for reviews: the servers take plaintext only, and the client's
    // auto mTLS follows them.
    assert.equal((await maille('apply', '-f', disable, ...sd)).stdout, 'peerauthentication/default/reviews created\n');
    const disabled = await eventually(
      ['tls-check', 'client-v1-0', 'reviews', ...sd],
      (r) => rowsOf(r.stdout).length === 2 && rowsOf(r.stdout).every((row) => row[3] === 'DISABLE'),
      'SERVER DISABLE after the PeerAuthentication',
    );
    assert.deepEqual(rowsOf(disabled), [
      [`${REVIEWS}:9080`, 'v1', 'plaintext', 'DISABLE', CLIENT_ID, '-', 'OK'],
      [`${REVIEWS}:9080`, 'v2', 'plaintext', 'DISABLE', CLIENT_ID, '-', 'OK'],
    ]);
    // The client's own service keeps its mode.
    assert.deepEqual(rowsOf((await maille('tls-check', 'client-v1-0', 'client', ...sd)).stdout).map((r) => [r[2], r[3], r[6]]), [['mTLS', 'PERMISSIVE', 'OK']]);

    // A DestinationRule forcing ISTIO_MUTUAL against DISABLE servers: a conflict.
    assert.equal((await maille('apply', '-f', mutual, ...sd)).stdout, 'destinationrule/default/reviews configured\n');
    const conflict = await eventually(
      ['tls-check', 'client-v1-0', 'reviews', ...sd],
      (r) => rowsOf(r.stdout).length === 2 && rowsOf(r.stdout).every((row) => row[6] === 'CONFLICT'),
      'CONFLICT with ISTIO_MUTUAL to DISABLE',
    );
    assert.deepEqual(rowsOf(conflict), [
      [`${REVIEWS}:9080`, 'v1', 'mTLS', 'DISABLE', CLIENT_ID, REVIEWS_ID, 'CONFLICT'],
      [`${REVIEWS}:9080`, 'v2', 'mTLS', 'DISABLE', CLIENT_ID, REVIEWS_ID, 'CONFLICT'],
    ]);

    run.child.kill('SIGINT');
    assert.equal(await run.exited, 0);
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
});
