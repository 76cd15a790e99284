// Istio's mutual-TLS tasks under `maille run`: httpbin and a sleep client workload, the
// PeerAuthentication YAML unchanged. With no policy (Istio's default, PERMISSIVE) and with the
// mesh-wide PERMISSIVE policy, httpbin's sidecar accepts plaintext (`curl` to its inbound port
// gets httpbin's answer) and mTLS from the mesh; with the mesh-wide STRICT policy it refuses
// plaintext and a client certificate from another CA (`openssl s_client`), while the same
// certificate made the same way but signed by the mesh's CA is served, and so is the client
// sidecar's mTLS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { rootPaths } from '../../src/control-plane/ca/root.js';
import { call } from '../support/client.js';
import { MESH_PERMISSIVE_MTLS, MESH_STRICT_MTLS, httpbinMesh } from '../support/istio-tasks.js';
import { startMailleRun, type MailleRun } from '../support/maille-run.js';
import { makeCa, makeSvid, sClientGet, type CertFiles } from '../support/openssl.js';

const run = promisify(execFile);
const SLEEP_ID = 'spiffe://cluster.local/ns/default/sa/sleep';

// httpbin (samples/httpbin, port 8000) and sleep (samples/sleep: a shell to call from).
const MESH = httpbinMesh('mtls', { name: 'sleep', port: 80 });

let mesh: MailleRun;
let inbound: number; // httpbin's sidecar, where a pod's traffic would be intercepted
let intruder: CertFiles; // another CA's certificate for the sleep identity
let member: CertFiles; // the same, signed by the mesh's CA

before(async () => {
  mesh = await startMailleRun(MESH);
  inbound = mesh.workload('httpbin-v1-0').inbound;
  intruder = await makeSvid(await makeCa('intruder'), SLEEP_ID);
  const root = rootPaths(mesh.stateDir);
  member = await makeSvid({ cert: root.cert, key: root.key }, SLEEP_ID);
});
after(async () => {
  if (mesh) assert.equal(await mesh.stop(), 0);
});

/** Plaintext `curl http://127.0.0.1:INBOUND/headers`: exit code, and the HTTP status and body when one came. */
async function plainCurl(): Promise<{ exit: number; status: string; body: string }> {
  const r = await run('curl', ['-sS', '--max-time', '10', '-H', 'Host: httpbin:8000', '-w', '\n%{http_code}', `http://127.0.0.1:${inbound}/headers`]).catch(
    (e: { code: number; stdout: string; stderr: string }) => ({ ...e, exitCode: e.code }),
  );
  const lines = r.stdout.split('\n');
  return { exit: 'exitCode' in r ? r.exitCode : 0, status: lines.pop() ?? '', body: lines.join('\n') };
}

/** GET httpbin /headers from the sleep workload, through its sidecar (mTLS when the mesh says so). */
async function fromSleep(): Promise<{ status: number; xfcc?: string }> {
  const r = await call(mesh.workload('sleep-v1-0').outbound, 'http://httpbin:8000/headers', { host: 'httpbin:8000' });
  return { status: r.status, xfcc: r.status === 200 ? JSON.parse(r.body).headers['X-Forwarded-Client-Cert'] : undefined };
}

function assertAcceptsPlaintextAndMtls(plain: { exit: number; status: string; body: string }, mtls: { status: number; xfcc?: string }): void {
  assert.equal(plain.exit, 0, 'curl got an answer');
  assert.equal(plain.status, '200', plain.body);
  // httpbin's own answer, and no client identity: the connection was plaintext.
  const headers = JSON.parse(plain.body).headers as Record<string, string>;
  assert.equal(headers.Host, 'httpbin:8000');
  assert.equal(headers['X-Forwarded-Client-Cert'], undefined);
  assert.deepEqual(mtls, { status: 200, xfcc: `URI=${SLEEP_ID}` });
}

test('no PeerAuthentication: PERMISSIVE, plaintext and mTLS both accepted', async () => {
  assertAcceptsPlaintextAndMtls(await plainCurl(), await fromSleep());
});

test('mesh-wide STRICT: plaintext curl and another CA\'s certificate refused; mesh certificates served', async () => {
  await mesh.apply(MESH_STRICT_MTLS, ['httpbin-v1-0']);
  const plain = await plainCurl();
  assert.notEqual(plain.exit, 0, `curl must fail, got HTTP ${plain.status}: ${plain.body}`);
  assert.notEqual(plain.status, '200');

  const refused = await sClientGet(inbound, '/headers', 'httpbin:8000', intruder);
  assert.doesNotMatch(refused, /HTTP\/1\.1 200/, refused);
  assert.match(refused, /alert|error/i, refused);

  const served = await sClientGet(inbound, '/headers', 'httpbin:8000', member);
  assert.match(served, /HTTP\/1\.1 200/, served);
  assert.match(served, new RegExp(`"X-Forwarded-Client-Cert":"URI=${SLEEP_ID}"`), served);

  assert.deepEqual(await fromSleep(), { status: 200, xfcc: `URI=${SLEEP_ID}` });
});

test('mesh-wide PERMISSIVE: plaintext accepted again, mTLS still', async () => {
  await mesh.apply(MESH_PERMISSIVE_MTLS, ['httpbin-v1-0']);
  assertAcceptsPlaintextAndMtls(await plainCurl(), await fromSleep());
  // PERMISSIVE accepts plaintext, not a certificate the mesh does not trust.
  assert.doesNotMatch(await sClientGet(inbound, '/headers', 'httpbin:8000', intruder), /HTTP\/1\.1 200/);
});
