// `maille run` with an ingress gateway serving Istio Gateway TLS modes beyond SIMPLE, as a user
// runs it: MUTUAL with the credential's CA (the Mesh's caCertFile, a TLS secret's ca.crt) and
// subjectAltNames, checked with curl --cert; PASSTHROUGH routed by a VirtualService `tls` rule to
// two services whose apps terminate TLS themselves, reached through their sidecars over mesh mTLS
// (the client sees the app's certificate, checked with openssl s_client); ISTIO_MUTUAL taking a
// client with a certificate of the mesh's own CA, refusing one from another CA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageInfo } from '../../src/cli/package-info.js';
import { freePort } from '../support/mesh.js';
import { rootPaths } from '../../src/control-plane/ca/root.js';
import { makeCa, makeLeaf, makeSvid, servedCertificate, type CertFiles } from '../support/openssl.js';

const ROOT = packageInfo().root;
const BIN = join(ROOT, 'bin/maille.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An HTTP app answering with its NAME. */
const ECHO_APP = `import { createServer } from 'node:http';
createServer((req, res) => { req.resume(); res.end(process.env.NAME); }).listen(Number(process.env.PORT), '127.0.0.1');
`;

/** An app that terminates TLS itself with CERT/KEY and answers one HTTP response with its NAME. */
const TLS_APP = `import { createServer } from 'node:tls';
import { readFileSync } from 'node:fs';
const name = process.env.NAME;
createServer({ cert: readFileSync(process.env.CERT), key: readFileSync(process.env.KEY) }, (s) => {
  s.on('error', () => {});
  s.once('data', () => s.end('HTTP/1.1 200 OK\\r\\ncontent-length: ' + name.length + '\\r\\nconnection: close\\r\\n\\r\\n' + name));
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

interface CurlResult {
  code: number;
  stdout: string;
  stderr: string;
}

function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '5', ...args], (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

/** curl to https://host:port/ on loopback, trusting `ca`, with an optional client certificate. */
function https(port: number, host: string, ca: CertFiles, client?: CertFiles): Promise<CurlResult> {
  const cert = client ? ['--cert', client.cert, '--key', client.key] : [];
  return curl(['--cacert', ca.cert, '--resolve', `${host}:${port}:127.0.0.1`, ...cert, `https://${host}:${port}/`]);
}

/** Retries until `ok` (the endpoints and routes arrive as the sidecars connect); bounded. */
async function until(what: string, lines: string[], get: () => Promise<CurlResult>, ok: (r: CurlResult) => boolean): Promise<CurlResult> {
  const deadline = Date.now() + 30_000;
  let last: CurlResult | undefined;
  while (Date.now() < deadline) {
    last = await get();
    if (ok(last)) return last;
    await sleep(200);
  }
  throw new Error(`${what}: last ${JSON.stringify(last)}\n${lines.slice(-40).join('\n')}`);
}

test('maille run: gateway MUTUAL (client CA, subjectAltNames), PASSTHROUGH by SNI to apps that terminate TLS, ISTIO_MUTUAL', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'maille-gw-tls-'));
  writeFileSync(join(dir, 'echo.mjs'), ECHO_APP);
  writeFileSync(join(dir, 'tls-app.mjs'), TLS_APP);
  const [serverCa, clientCa, otherCa, appCa] = await Promise.all([makeCa('gateway CA'), makeCa('client CA'), makeCa('other CA'), makeCa('app CA')]);
  const [gatewayCert, alice, bob, mallory, aCert, bCert] = await Promise.all([
    makeLeaf(serverCa, 'secure.example.com', 'DNS:secure.example.com'),
    makeLeaf(clientCa, 'alice', 'URI:spiffe://clients.example.com/alice'),
    makeLeaf(clientCa, 'bob', 'URI:spiffe://clients.example.com/bob'),
    makeLeaf(otherCa, 'alice', 'URI:spiffe://clients.example.com/alice'),
    makeLeaf(appCa, 'a.example.com', 'DNS:a.example.com'),
    makeLeaf(appCa, 'b.example.com', 'DNS:b.example.com'),
  ]);
  const ports = new Set<number>();
  while (ports.size < 3) ports.add(await freePort());
  const [mutualPort, passPort, meshPort] = [...ports];
  const tlsApp = (name: string, c: CertFiles) => `{command: "exec node ${join(dir, 'tls-app.mjs')}", env: {NAME: ${name}, CERT: "${c.cert}", KEY: "${c.key}"}}`;
  writeFileSync(
    join(dir, 'mesh.yaml'),
    `apiVersion: maille.dev/v1alpha1
kind: Mesh
metadata: {name: tls-modes}
spec:
  gateways:
    - name: ingressgateway
      ports: [{port: 443, targetPort: ${mutualPort}}, {port: 9443, targetPort: ${passPort}}, {port: 15443, targetPort: ${meshPort}}]
  credentials:
    secure-cert: {certFile: "${gatewayCert.cert}", keyFile: "${gatewayCert.key}", caCertFile: "${clientCa.cert}"}
  services:
    - name: echo
      port: 9080
      workloads: [{command: "exec node ${join(dir, 'echo.mjs')}", env: {NAME: echo}}]
    - name: app-a
      port: 8443
      workloads: [${tlsApp('app-a', aCert)}]
    - name: app-b
      port: 8443
      protocol: tcp
      workloads: [${tlsApp('app-b', bCert)}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [secure.example.com]
    tls: {mode: MUTUAL, credentialName: secure-cert, subjectAltNames: ["spiffe://clients.example.com/alice"]}
  - port: {number: 9443, name: tls, protocol: TLS}
    hosts: [a.example.com, b.example.com]
    tls: {mode: PASSTHROUGH}
  - port: {number: 15443, name: mesh, protocol: HTTPS}
    hosts: [mesh.example.com]
    tls: {mode: ISTIO_MUTUAL}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: secure}
spec:
  hosts: [secure.example.com, mesh.example.com]
  gateways: [edge]
  http:
  - route: [{destination: {host: echo}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: passthrough}
spec:
  hosts: [a.example.com, b.example.com]
  gateways: [edge]
  tls:
  - match: [{port: 9443, sniHosts: [a.example.com]}]
    route: [{destination: {host: app-a, port: {number: 8443}}}]
  - match: [{port: 9443, sniHosts: [b.example.com]}]
    route: [{destination: {host: app-b}}]
`,
  );
  const child = spawn(process.execPath, [BIN, 'run', '-f', join(dir, 'mesh.yaml'), '--state-dir', join(dir, 'state'), '--control-plane-port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    // MUTUAL: alice (the client CA, the allowed SAN) gets through to the echo service.
    const ok = await until('MUTUAL with alice', lines, () => https(mutualPort, 'secure.example.com', serverCa, alice), (r) => r.code === 0 && r.stdout === 'echo');
    assert.equal(ok.stdout, 'echo');
    // Without a certificate, with another SAN from the same CA, with the right SAN from another CA: refused.
    for (const [who, client] of [['no certificate', undefined], ['bob', bob], ['mallory', mallory]] as const) {
      const r = await https(mutualPort, 'secure.example.com', serverCa, client);
      assert.notEqual(r.code, 0, `${who} must be refused: ${JSON.stringify(r)}`);
      assert.equal(r.stdout, '');
    }

    // PASSTHROUGH: the app's own certificate, checked by curl against the app CA, and its answer.
    const a = await until('PASSTHROUGH to app-a', lines, () => https(passPort, 'a.example.com', appCa), (r) => r.code === 0);
    assert.equal(a.stdout, 'app-a');
    const b = await until('PASSTHROUGH to app-b', lines, () => https(passPort, 'b.example.com', appCa), (r) => r.code === 0);
    assert.equal(b.stdout, 'app-b');
    const subject = (name: string) => servedCertificate(passPort, name, '-subject -issuer');
    assert.equal(await subject('a.example.com'), 'subject=CN = a.example.com\nissuer=O = app CA');
    assert.equal(await subject('b.example.com'), 'subject=CN = b.example.com\nissuer=O = app CA');
    // A name no route claims: closed before any certificate.
    assert.equal(await subject('c.example.com'), '');
    assert.notEqual((await https(passPort, 'c.example.com', appCa)).code, 0);

    // ISTIO_MUTUAL: a certificate of the mesh's CA (a SPIFFE ID, as a workload of another
    // cluster or an east-west peer holds) is taken; one of another CA, or none, is not. The
    // gateway presents its SVID, named by SPIFFE ID rather than DNS: -k skips the name check.
    const root = rootPaths(join(dir, 'state'));
    const [member, intruder] = await Promise.all([
      makeSvid({ cert: root.cert, key: root.key }, 'spiffe://cluster.local/ns/default/sa/partner'),
      makeSvid(await makeCa('intruder'), 'spiffe://cluster.local/ns/default/sa/partner'),
    ]);
    const viaMesh = (client?: CertFiles) => curl(['-k', '--resolve', `mesh.example.com:${meshPort}:127.0.0.1`, ...(client ? ['--cert', client.cert, '--key', client.key] : []), `https://mesh.example.com:${meshPort}/`]);
    const inMesh = await until('ISTIO_MUTUAL with a mesh certificate', lines, () => viaMesh(member), (r) => r.code === 0);
    assert.equal(inMesh.stdout, 'echo');
    for (const [who, client] of [['no certificate', undefined], ['another CA', intruder]] as const) {
      const r = await viaMesh(client);
      assert.notEqual(r.code, 0, `${who} must be refused: ${JSON.stringify(r)}`);
    }

    child.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await Promise.race([exited, sleep(15_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
});
