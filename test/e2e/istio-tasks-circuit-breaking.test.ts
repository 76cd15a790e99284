// Istio's circuit-breaking task under `maille run`: httpbin, a fortio client workload, and the
// task's DestinationRule unchanged (one connection, one pending request, one request per
// connection). The test plays fortio inside the fortio workload (its requests go through the
// workload's sidecar, as `kubectl exec fortio -- fortio load -c 3 -qps 0 -n 30` does): some
// requests trip the breaker (503, said so by the sidecar, counted in its metrics), the rest
// get through, and the breaker's own 503s do not get httpbin ejected by outlier detection.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { call, callMany, type Reply } from '../support/client.js';
import { HTTPBIN_CIRCUIT_BREAKER, httpbinMesh } from '../support/istio-tasks.js';
import { startMailleRun, type MailleRun } from '../support/maille-run.js';

// httpbin as in samples/httpbin (service port 8000); fortio's own server is not needed here.
const MESH = httpbinMesh('circuit-breaking', { name: 'fortio', port: 8080 });

let mesh: MailleRun;
let fortio: number; // the fortio workload's sidecar (outbound)

before(async () => {
  mesh = await startMailleRun(MESH);
  fortio = mesh.workload('fortio-v1-0').outbound;
});
after(async () => {
  if (mesh) assert.equal(await mesh.stop(), 0);
});

/** fortio load -c C -qps 0 -n N URL: C connections, each sending its next request when the last answered. */
async function fortioLoad(c: number, n: number, url: string): Promise<Reply[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: c });
  try {
    return await callMany(n, c, () => call(fortio, url, { host: new URL(url).host, agent }));
  } finally {
    agent.destroy();
  }
}

async function breakerTrips(): Promise<number> {
  const admin = mesh.workload('fortio-v1-0').admin;
  const stats = await call(admin, '/stats/prometheus', { host: `127.0.0.1:${admin}` });
  assert.equal(stats.status, 200, stats.body);
  return stats.body
    .split('\n')
    .filter((l) => l.startsWith('maille_breaker_trips_total{') && l.includes('httpbin'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

test('circuit breaking: -c 2 gets through; with -c 3 some requests are refused by the breaker, the rest served', async () => {
  // Before the rule: fortio curl http://httpbin:8000/get
  const first = await call(fortio, 'http://httpbin:8000/get', { host: 'httpbin:8000' });
  assert.equal(first.status, 200, first.body);
  assert.equal(JSON.parse(first.body).headers['X-Forwarded-Client-Cert'], 'URI=spiffe://cluster.local/ns/default/sa/fortio');

  await mesh.apply(HTTPBIN_CIRCUIT_BREAKER, ['fortio-v1-0']);
  // -c 2 -n 20: one request on the connection, one pending; "almost all requests made it through".
  const two = await fortioLoad(2, 20, 'http://httpbin:8000/get');
  assert.ok(two.filter((r) => r.status === 200).length >= 18, two.map((r) => r.status).join(' '));

  // -c 3 -n 30: a third request finds the connection busy and the pending queue full.
  const tripsBefore = await breakerTrips();
  const replies = await fortioLoad(3, 30, 'http://httpbin:8000/get');
  const codes = replies.reduce<Record<number, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});
  assert.deepEqual(Object.keys(codes).filter((c) => c !== '200' && c !== '503'), [], JSON.stringify(codes));
  assert.ok((codes[200] ?? 0) > 0, `some requests served: ${JSON.stringify(codes)}`);
  assert.ok((codes[503] ?? 0) > 0, `some requests refused by the breaker: ${JSON.stringify(codes)}`);
  for (const r of replies.filter((x) => x.status === 503)) {
    assert.equal(r.headers['x-maille-error'], 'MAILLE_ERR_BREAKER_OPEN', r.body);
    assert.match(r.body, /circuit breaker open/);
  }
  // The sidecar counts what it refused (Envoy's upstream_rq_pending_overflow in the task).
  assert.equal((await breakerTrips()) - tripsBefore, codes[503]);

  // The breaker's 503s are the client sidecar's, not httpbin's: outlier detection (eject after
  // one 5xx, for 3 minutes) must not have ejected httpbin.
  const after = await call(fortio, 'http://httpbin:8000/get', { host: 'httpbin:8000' });
  assert.equal(after.status, 200, `${after.headers['x-maille-error'] ?? ''} ${after.body}`);
});
