// `maille run` with an ingress gateway, as a user runs it: the real CLI process, an Istio Gateway
// selecting the gateway by `istio: ingressgateway`, traffic from curl over plain HTTP and over
// HTTPS with certificates made by openssl here (two on one port, chosen by SNI), routed by
// VirtualService and by HTTPRoute to services over mesh mTLS; the gateway restarted when killed;
// `maille apply` adding a port while it runs; and a port already in use refusing the start before
// anything runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageInfo } from '../../src/cli/package-info.js';
import { call, type Reply } from '../support/client.js';
import { freePort } from '../support/mesh.js';

const ROOT = packageInfo().root;
const BIN = join(ROOT, 'bin/maille.js');
const GATEWAY_IDENTITY = 'URI=spiffe://cluster.local/ns/istio-system/sa/ingressgateway';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** A time limit that does not keep the test process alive once what it bounds is over. */
const limit = (ms: number): Promise<'timeout'> => new Promise((r) => setTimeout(() => r('timeout'), ms).unref());

/** The app of every workload: says who it is and what its sidecar told it about the caller. */
const ECHO_APP = `import { createServer } from 'node:http';
const server = createServer((req, res) => {
  req.resume();
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ name: process.env.NAME, path: req.url, xfcc: req.headers['x-forwarded-client-cert'] ?? null }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** `n` different free ports (the system may hand the same one out twice in a row). */
async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'maille-gw-'));
  writeFileSync(join(dir, 'echo.mjs'), ECHO_APP);
  return dir;
}

/** A CA, and certificates for bookinfo.example.com and ratings.example.com signed by it, as a user would make them. */
function makeCertificates(dir: string): void {
  const certs = join(dir, 'certs');
  mkdirSync(certs);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: certs, stdio: 'pipe' });
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test ingress CA');
  for (const name of ['bookinfo', 'ratings']) {
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}.example.com`);
    writeFileSync(join(certs, `${name}.ext`), `subjectAltName=DNS:${name}.example.com\n`);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
  }
}

function meshYaml(dir: string, gatewayPorts: string, before = ''): string {
  const app = (name: string) => `command: "${before}exec node ${join(dir, 'echo.mjs')}", env: {NAME: ${name}}`;
  return `apiVersion: maille.dev/v1alpha1
kind: Mesh
metadata: {name: ingress}
spec:
  gateways:
    - name: ingressgateway
      ports: ${gatewayPorts}
  credentials:
    bookinfo-cert: {certFile: certs/bookinfo.pem, keyFile: certs/bookinfo.key}
    ratings-cert: {certFile: certs/ratings.pem, keyFile: certs/ratings.key}
  services:
    - name: reviews
      port: 9080
      workloads:
        - {version: v1, ${app('reviews-v1')}}
        - {version: v2, ${app('reviews-v2')}}
    - name: ratings
      port: 9080
      workloads:
        - {version: v1, ${app('ratings-v1')}}
`;
}

const GATEWAY = (extraServer = '') => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bookinfo-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 443, name: https, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: bookinfo-cert}
    hosts: [bookinfo.example.com]
  - port: {number: 443, name: https-ratings, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: ratings-cert}
    hosts: [ratings.example.com]
${extraServer}`;

const ROUTES = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo}
spec:
  hosts: [bookinfo.example.com]
  gateways: [bookinfo-gateway]
  http:
  - match: [{uri: {prefix: /v2}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: reviews, subset: v1}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ratings}
spec:
  parentRefs: [{name: bookinfo-gateway}]
  hostnames: [ratings.example.com]
  rules:
  - backendRefs: [{name: ratings, port: 9080}]
`;

interface Run {
  lines: string[];
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
  /** Ctrl-C and wait (a bound, then SIGKILL): what a failed test does so nothing stays behind. */
  stop(): Promise<void>;
}

function startRun(dir: string, controlPlanePort = 0): Run {
  const child = spawn(process.execPath, [BIN, 'run', '-f', join(dir, 'mesh.yaml'), '--state-dir', join(dir, 'state'), '--control-plane-port', String(controlPlanePort)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const kill = (s: NodeJS.Signals) => void (child.exitCode === null && child.signalCode === null && child.kill(s));
  const stop = async () => {
    kill('SIGINT');
    await Promise.race([exited, limit(15_000)]);
    kill('SIGKILL');
  };
  return { lines, exited, kill, stop };
}

/** GETs through the gateway until `ok` holds (endpoints arrive as sidecars connect); bounded. */
async function until(what: string, run: Run, get: () => Promise<Reply>, ok: (r: Reply) => boolean, ms = 15_000): Promise<Reply> {
  const deadline = Date.now() + ms;
  let last: Reply | Error | undefined;
  while (Date.now() < deadline) {
    last = await get().catch((e: Error) => e);
    if (!(last instanceof Error) && ok(last)) return last;
    await sleep(100);
  }
  const seen = last instanceof Error ? last.message : `${last?.status} ${last?.body}`;
  throw new Error(`${what}: last ${seen}\n${run.lines.slice(-40).join('\n')}`);
}

const named = (name: string) => (r: Reply) => r.status === 200 && JSON.parse(r.body).name === name;

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '5', ...args], (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

test('maille run: ingress gateway over HTTP and HTTPS, VirtualService and HTTPRoute, a port added by apply', async () => {
  const dir = workDir();
  makeCertificates(dir);
  const [http, https, added] = await freePorts(3);
  writeFileSync(join(dir, 'mesh.yaml'), `${meshYaml(dir, `[{port: 80, targetPort: ${http}}, {port: 443, targetPort: ${https}}]`)}---\n${GATEWAY()}---\n${ROUTES}`);
  const run = startRun(dir);
  try {
    // The printed table gives the gateway's URLs, with the Gateway port each serves.
    const deadline = Date.now() + 15_000;
    while (!run.lines.some((l) => l.startsWith('configuration API ')) && Date.now() < deadline) await sleep(50);
    const gatewayRows = run.lines.filter((l) => l.startsWith('ingressgateway.istio-system ')).map((l) => l.split(/ +/));
    assert.deepEqual(
      gatewayRows.map((r) => r.slice(1, 5)).sort((a, b) => a[3].localeCompare(b[3])),
      [
        ['spiffe://cluster.local/ns/istio-system/sa/ingressgateway', `http://127.0.0.1:${http}`, '80', '*'],
        ['spiffe://cluster.local/ns/istio-system/sa/ingressgateway', `https://127.0.0.1:${https}`, '443', 'bookinfo.example.com,ratings.example.com'],
      ],
      run.lines.join('\n'),
    );

    // HTTP: the Host header picks the VirtualService or the HTTPRoute; the path picks the subset.
    const viaHttp = (host: string, path: string) => () => call(http, path, { host });
    const v1 = await until('reviews v1 through the gateway', run, viaHttp('bookinfo.example.com', '/'), named('reviews-v1'));
    // The app sees the gateway's SPIFFE identity: gateway → sidecar is mesh mTLS.
    assert.equal(JSON.parse(v1.body).xfcc, GATEWAY_IDENTITY);
    await until('reviews v2 by path', run, viaHttp('bookinfo.example.com', '/v2/x'), named('reviews-v2'));
    const ratings = await until('ratings by HTTPRoute', run, viaHttp('ratings.example.com', '/r'), named('ratings-v1'));
    assert.equal(JSON.parse(ratings.body).xfcc, GATEWAY_IDENTITY);
    for (let i = 0; i < 10; i++) {
      assert.equal(JSON.parse((await call(http, '/', { host: 'bookinfo.example.com' })).body).name, 'reviews-v1');
      assert.equal(JSON.parse((await call(http, '/v2', { host: 'bookinfo.example.com' })).body).name, 'reviews-v2');
    }
    const nobody = await call(http, '/', { host: 'other.example.com' });
    assert.equal(nobody.status, 404);
    assert.equal(nobody.headers['x-maille-error'], 'MAILLE_ERR_NO_ROUTE');

    // HTTPS with the user's certificate, as curl checks it against the user's CA.
    const tls = await curl(['--cacert', join(dir, 'certs/ca.pem'), '--resolve', `bookinfo.example.com:${https}:127.0.0.1`, `https://bookinfo.example.com:${https}/v2/secure`]);
    assert.equal(tls.code, 0, tls.stderr);
    assert.deepEqual(JSON.parse(tls.stdout), { name: 'reviews-v2', path: '/v2/secure', xfcc: GATEWAY_IDENTITY });
    // A second certificate on the same port, chosen by SNI (curl checks the name it was given).
    const sni = await curl(['--cacert', join(dir, 'certs/ca.pem'), '--resolve', `ratings.example.com:${https}:127.0.0.1`, `https://ratings.example.com:${https}/r`]);
    assert.equal(sni.code, 0, sni.stderr);
    assert.equal(JSON.parse(sni.stdout).name, 'ratings-v1');

    // The gateway is supervised like a sidecar: killed, it is restarted and serves again.
    const nodeFile = join(dir, 'state/run/ingressgateway.istio-system/node.json');
    const pid = Number(execFileSync('pgrep', ['-f', nodeFile]).toString().trim().split('\n')[0]);
    assert.ok(pid > 0);
    process.kill(pid, 'SIGKILL');
    const restarting = (l: string) => l.startsWith('[ingressgateway.istio-system/gateway] exited (SIGKILL); restarting');
    for (const end = Date.now() + 5000; !run.lines.some(restarting) && Date.now() < end; ) await sleep(50);
    assert.ok(run.lines.some(restarting), run.lines.join('\n'));
    await until('the restarted gateway', run, viaHttp('bookinfo.example.com', '/'), named('reviews-v1'));

    // A server added by `maille apply` is listened on without a restart (a port no Mesh mapping
    // names is used as written).
    const server = `  - port: {number: ${added}, name: extra, protocol: HTTP}\n    hosts: ["*"]\n`;
    const applied = await new Promise<{ code: number; out: string }>((resolve) => {
      const child = execFile(process.execPath, [BIN, 'apply', '-f', '-', '--state-dir', join(dir, 'state')], { cwd: ROOT, timeout: 20_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? 1 : 0, out: stdout + stderr }),
      );
      child.stdin?.end(GATEWAY(server));
    });
    assert.equal(applied.code, 0, applied.out);
    await until('the applied port', run, () => call(added, '/v2', { host: 'bookinfo.example.com' }), named('reviews-v2'), 10_000);

    run.kill('SIGINT');
    assert.equal(await run.exited, 0);
    // Nothing listens any more.
    for (const port of [http, https, added]) await assert.rejects(call(port, '/'), `port ${port} closed`);
  } finally {
    await run.stop();
  }
});

async function holdPort(port: number): Promise<Server> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  return s;
}

test('maille run: a port already in use is named with what to change, and nothing starts', async () => {
  const dir = workDir();
  makeCertificates(dir);
  const [busy, https, other] = await freePorts(3);
  const marker = join(dir, 'an-app-started');
  writeFileSync(join(dir, 'mesh.yaml'), `${meshYaml(dir, `[{port: 80, targetPort: ${busy}}, {port: 443, targetPort: ${https}}]`, `touch ${marker}; `)}---\n${GATEWAY()}---\n${ROUTES}`);
  const held = await holdPort(busy);
  try {
    const run = startRun(dir);
    const code = await Promise.race([run.exited, limit(15_000)]);
    await run.stop();
    assert.equal(code, 1, run.lines.join('\n'));
    const file = join(dir, 'mesh.yaml');
    assert.deepEqual(run.lines, [
      `maille: port ${busy} (Gateway default/bookinfo-gateway spec.servers[0], port 80 → ${busy}, gateway ingressgateway.istio-system) is already in use on 127.0.0.1; free it or change its targetPort in ${file} spec.gateways[0].ports`,
    ]);

    // The control plane's fixed port, the same way (the gateway ports are free this time).
    held.close();
    const cpHeld = await holdPort(busy);
    try {
      writeFileSync(join(dir, 'mesh.yaml'), `${meshYaml(dir, `[{port: 80, targetPort: ${other}}, {port: 443, targetPort: ${https}}]`, `touch ${marker}; `)}---\n${GATEWAY()}`);
      const again = startRun(dir, busy);
      const code2 = await Promise.race([again.exited, limit(15_000)]);
      await again.stop();
      assert.equal(code2, 1, again.lines.join('\n'));
      assert.deepEqual(again.lines, [`maille: port ${busy} (control plane) is already in use on 127.0.0.1; free it or change --control-plane-port (0 picks a free one)`]);
    } finally {
      cpHeld.close();
    }
    assert.equal(existsSync(marker), false, 'no app was started');
  } finally {
    held.close();
  }
});
