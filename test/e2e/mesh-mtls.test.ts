// Mesh mTLS between two proxies with SVIDs from maille's CA: the client sidecar originates mTLS,
// the server sidecar verifies the SPIFFE ID and hands it to the app; STRICT refuses plaintext
// (curl) and a certificate from another CA (openssl s_client); PERMISSIVE accepts both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openCertificateAuthority } from '../../src/control-plane/ca/authority.js';
import { createWorkloadKeyAndCsr } from '../../src/control-plane/ca/csr.js';
import { signWorkloadCsr } from '../../src/control-plane/ca/issue.js';
import type { CertificateAuthority } from '../../src/control-plane/ca/types.js';
import { MeshIdentity, type WorkloadCertificate } from '../../src/proxy/transport/mesh-identity.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/app/proxy.js';
import { validateSnapshot } from '../../src/proxy/config/validate.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { call } from '../support/client.js';

const run = promisify(execFile);
let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
let app: TestUpstream;

async function svid(authority: CertificateAuthority, sa: string): Promise<WorkloadCertificate> {
  const { csrPem, privateKeyPem } = await createWorkloadKeyAndCsr();
  const issued = await signWorkloadCsr(authority, csrPem, { trustDomain: authority.trustDomain, namespace: 'default', serviceAccount: sa });
  return { certificateChainPem: issued.certificateChainPem, privateKeyPem, trustBundlePem: issued.trustBundlePem, trustDomain: authority.trustDomain };
}

async function proxy(snapshot: Snapshot, cert: WorkloadCertificate): Promise<ProxyHandle> {
  return startProxy({ snapshot: validateSnapshot(snapshot, 'test'), identity: new MeshIdentity(cert), adminPort: 0, adminAddress: '127.0.0.1', logLevel: 'error' });
}

/** The server side: an inbound listener with mTLS in front of the app. */
function inbound(mode: 'STRICT' | 'PERMISSIVE'): Snapshot {
  return {
    version: '1',
    listeners: [{ name: 'inbound', port: 0, direction: 'inbound', protocol: 'detect', mtls: { mode }, routeConfig: 'in', tcpCluster: 'app' }],
    routeConfigs: [{ name: 'in', virtualHosts: [{ name: 'app', domains: ['*'], routes: [{ forward: { destinations: [{ cluster: 'app' }] } }] }] }],
    clusters: [{ name: 'app', endpoints: [{ address: '127.0.0.1', port: app.port }] }],
  };
}

/** The client side: an outbound listener whose cluster originates mTLS to the server sidecar. */
function outbound(serverPort: number, expect?: string[]): Snapshot {
  return {
    version: '1',
    listeners: [{ name: 'outbound', port: 0, direction: 'outbound', protocol: 'http1', routeConfig: 'out' }],
    routeConfigs: [{ name: 'out', virtualHosts: [{ name: 'reviews', domains: ['*'], routes: [{ forward: { destinations: [{ cluster: 'reviews' }] } }] }] }],
    clusters: [{ name: 'reviews', endpoints: [{ address: '127.0.0.1', port: serverPort }], mtls: { subjectAltNames: expect } }],
  };
}

before(async () => {
  ca = await openCertificateAuthority({ stateDir: mkdtempSync(join(tmpdir(), 'maille-ca-')) });
  otherCa = await openCertificateAuthority({ stateDir: mkdtempSync(join(tmpdir(), 'maille-ca2-')) });
  app = await startUpstream('app');
});
after(async () => app.close());

test('sidecar to sidecar over mTLS: the app sees the caller identity; a wrong expected identity fails', async () => {
  const server = await proxy(inbound('STRICT'), await svid(ca, 'reviews'));
  const serverPort = server.listenerPorts.get('inbound')!;
  const client = await proxy(outbound(serverPort, ['spiffe://cluster.local/ns/default/sa/reviews']), await svid(ca, 'productpage'));
  const wrong = await proxy(outbound(serverPort, ['spiffe://cluster.local/ns/default/sa/ratings']), await svid(ca, 'productpage'));
  try {
    const r = await call(client.listenerPorts.get('outbound')!, '/reviews/1', { host: 'reviews:9080', headers: { 'x-forwarded-client-cert': 'URI=spiffe://forged' } });
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.body);
    assert.equal(seen.headers['x-forwarded-client-cert'], 'URI=spiffe://cluster.local/ns/default/sa/productpage');

    const bad = await call(wrong.listenerPorts.get('outbound')!, '/', { host: 'reviews' });
    assert.equal(bad.status, 503);
    assert.match(bad.body, /mTLS handshake failed \(server identity spiffe:\/\/cluster\.local\/ns\/default\/sa\/reviews is not one of spiffe:\/\/cluster\.local\/ns\/default\/sa\/ratings\)/);
  } finally {
    await Promise.all([server.close(), client.close(), wrong.close()]);
  }
});

test('STRICT refuses plaintext and a client certificate from another CA', async () => {
  const server = await proxy(inbound('STRICT'), await svid(ca, 'reviews'));
  const port = server.listenerPorts.get('inbound')!;
  try {
    const plain = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/`]).catch((e: { code: number; stdout: string }) => e);
    assert.notEqual((plain as { stdout: string }).stdout, '200', 'plaintext got no answer');
    assert.ok('code' in plain && plain.code !== 0, 'curl failed');

    // openssl s_client with a certificate from a CA the mesh does not trust.
    const foreign = await svid(otherCa, 'intruder');
    const dir = mkdtempSync(join(tmpdir(), 'maille-intruder-'));
    writeFileSync(join(dir, 'cert.pem'), foreign.certificateChainPem);
    writeFileSync(join(dir, 'key.pem'), foreign.privateKeyPem);
    const { stdout } = await run('sh', ['-c', `printf 'GET / HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n' | timeout 10 openssl s_client -connect 127.0.0.1:${port} -cert ${dir}/cert.pem -key ${dir}/key.pem -quiet 2>&1; true`]);
    assert.doesNotMatch(stdout, /HTTP\/1\.1 200/);
    assert.match(stdout, /alert|error|errno/i);

    // The same request with a certificate from the mesh CA is served.
    const member = await svid(ca, 'productpage');
    writeFileSync(join(dir, 'cert.pem'), member.certificateChainPem);
    writeFileSync(join(dir, 'key.pem'), member.privateKeyPem);
    const ok = await run('sh', ['-c', `printf 'GET / HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n' | timeout 10 openssl s_client -connect 127.0.0.1:${port} -cert ${dir}/cert.pem -key ${dir}/key.pem -quiet 2>/dev/null; true`]);
    assert.match(ok.stdout, /HTTP\/1\.1 200/);
  } finally {
    await server.close();
  }
});

test('PERMISSIVE accepts plaintext and mTLS on the same port', async () => {
  const server = await proxy(inbound('PERMISSIVE'), await svid(ca, 'reviews'));
  const port = server.listenerPorts.get('inbound')!;
  const client = await proxy(outbound(port), await svid(ca, 'productpage'));
  try {
    const plain = await call(port, '/plain');
    assert.equal(plain.status, 200);
    assert.equal(JSON.parse(plain.body).headers['x-forwarded-client-cert'], undefined);
    const mtls = await call(client.listenerPorts.get('outbound')!, '/secure');
    assert.equal(mtls.status, 200);
    assert.equal(JSON.parse(mtls.body).headers['x-forwarded-client-cert'], 'URI=spiffe://cluster.local/ns/default/sa/productpage');
  } finally {
    await Promise.all([server.close(), client.close()]);
  }
});
