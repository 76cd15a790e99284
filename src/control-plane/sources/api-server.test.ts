import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../api/load.js';
import type { ProxyStatus } from '../discovery/types.js';
import { ApiClient, ApiError } from './api-client.js';
import { apiFilePath } from './api-file.js';
import { startApiServer, type ApiServer } from './api-server.js';
import { CaOperationError } from '../ca/live-authority.js';
import { RESOURCES_FILE, ResourceStore } from './store.js';

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
    - route:
        - destination: {host: reviews, subset: v2}
`;

async function call(url: string, init: RequestInit = {}): Promise<{ status: number; body: { error?: { code: string; message: string; problems?: string[] } } & Record<string, unknown> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as never };
}

describe('configuration API', () => {
  let stateDir: string;
  let store: ResourceStore;
  let api: ApiServer;
  const proxies: ProxyStatus[] = [];
  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'maille-api-'));
    store = await ResourceStore.open({ stateDir, fileResources: [] });
    api = await startApiServer({ store, stateDir, proxies: () => proxies });
  });
  after(() => api.close());

  it('publishes its address and token in api.json, readable by the owner only', () => {
    const file = apiFilePath(stateDir);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { url: api.url, token: api.token, pid: process.pid });
  });

  it('refuses every call without the right token (401), and changes nothing', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: api.token }, { authorization: `Bearer ${api.token}x` }]) {
      for (const [method, path, body] of [['GET', '/resources'], ['GET', '/proxies'], ['POST', '/apply', VS], ['DELETE', '/resources/vs/default/reviews']]) {
        const r = await call(`${api.url}${path}`, { method, headers, body });
        assert.equal(r.status, 401, `${method} ${path} with ${JSON.stringify(headers)}`);
        assert.equal(r.body.error?.code, 'MAILLE_ERR_UNAUTHENTICATED');
      }
    }
    assert.deepEqual(store.resources(), []);
    assert.equal(existsSync(join(stateDir, RESOURCES_FILE)), false);
  });

  it('refuses an apply with an invalid document as a whole, with its reasons', async () => {
    const bad = VS.replace('reviews}', 'bad}').replace('subset: v2}', 'subset: v2}\n      timeout: 1 s');
    const r = await call(`${api.url}/apply?source=my.yaml`, { method: 'POST', headers: { authorization: `Bearer ${api.token}` }, body: `${VS}---\n${bad}` });
    assert.equal(r.status, 400);
    assert.equal(r.body.error?.code, 'MAILLE_ERR_CONFIG');
    assert.equal(r.body.error?.problems?.length, 1);
    assert.match(r.body.error?.problems?.[0] ?? '', /^my\.yaml:\d+: document 2 \(VirtualService\/default\/bad\): spec\.http\[0\]\.timeout: /);
    assert.deepEqual(store.resources(), []);
    assert.equal(existsSync(join(stateDir, RESOURCES_FILE)), false);

    const client = await ApiClient.find(stateDir);
    await assert.rejects(client.apply(bad, 'my.yaml'), (e: ConfigError) => e instanceof ConfigError && /timeout/.test(e.problems[0]));
  });

  it('applies, lists, deletes through the client', async () => {
    const client = await ApiClient.find(stateDir);
    assert.deepEqual(await client.apply(VS, 'vs.yaml'), [{ kind: 'VirtualService', namespace: 'default', name: 'reviews', action: 'created' }]);
    assert.deepEqual((await client.apply(VS, 'vs.yaml')).map((o) => o.action), ['unchanged']);
    const items = await client.list({ kind: 'vs' });
    assert.deepEqual(
      items.map((i) => [i.resource.metadata.name, i.origin]),
      [['reviews', 'applied']],
    );
    assert.deepEqual(await client.list({ kind: 'VirtualService', namespace: 'other' }), []);
    await assert.rejects(client.list({ kind: 'nosuchkind' }), (e: ApiError) => e.status === 400);
    await client.delete('VirtualService', 'default', 'reviews');
    await assert.rejects(client.delete('VirtualService', 'default', 'reviews'), (e: ApiError) => e.status === 404 && e.message === 'virtualservice/default/reviews not found');
    assert.deepEqual(store.resources(), []);
    assert.deepEqual(await client.proxies(), []);
  });

  it('is gone from api.json once closed, and the client says none is running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maille-api-'));
    const other = await startApiServer({ store, stateDir: dir, proxies: () => [] });
    const client = await ApiClient.find(dir);
    await other.close();
    assert.equal(existsSync(apiFilePath(dir)), false);
    await assert.rejects(ApiClient.find(dir), { message: `no running control plane found in ${dir} (start one with maille run -f mesh.yaml)` });
    await assert.rejects(client.proxies(), /no running control plane found in .* \(its api\.json is stale/);
  });
});

describe('configuration API: the CA calls', () => {
  it('needs the token, checks the overlap it is given, and maps refusals to status codes', async (t) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'maille-api-ca-'));
    const store = await ResourceStore.open({ stateDir, fileResources: [] });
    const asked: (number | undefined)[] = [];
    const facts = { subject: 'CN=r', fingerprint: 'AA', serialNumber: '01', notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2036-01-01T00:00:00.000Z' };
    const api = await startApiServer({
      store,
      stateDir,
      proxies: () => [],
      ca: {
        status: () => ({ trustDomain: 'cluster.local', source: 'self-signed', signingRoot: 'AA', roots: [{ ...facts, state: 'active' }], svidTtlSeconds: 86400, trustBundleFile: '/x' }),
        rotate: (overlapMs) => {
          asked.push(overlapMs);
          if (overlapMs === 1000) return Promise.reject(new CaOperationError(400, 'MAILLE_ERR_BAD_REQUEST', 'overlap 1s is shorter than the workload certificate lifetime (24h)'));
          return Promise.resolve({ previousRoot: facts, newRoot: { ...facts, fingerprint: 'BB' }, overlapEndsAt: '2026-01-03T00:00:00.000Z', propagation: { proxies: 0, acknowledged: 0, pending: [] } });
        },
      },
    });
    t.after(() => api.close());
    assert.equal((await call(`${api.url}/ca/rotate-root`, { method: 'POST', body: '{}' })).status, 401);
    assert.deepEqual(asked, [], 'nothing rotated without the token');

    const client = await ApiClient.find(stateDir);
    assert.equal((await client.caStatus()).signingRoot, 'AA');
    assert.equal((await client.rotateRoot()).newRoot.fingerprint, 'BB');
    assert.equal((await client.rotateRoot(7200)).newRoot.fingerprint, 'BB');
    await assert.rejects(client.rotateRoot(1), { name: 'ApiError', status: 400, code: 'MAILLE_ERR_BAD_REQUEST', message: 'overlap 1s is shorter than the workload certificate lifetime (24h)' });
    const bad = await call(`${api.url}/ca/rotate-root`, { method: 'POST', headers: { authorization: `Bearer ${api.token}` }, body: '{"overlapSeconds": -5}' });
    assert.deepEqual([bad.status, bad.body.error?.message], [400, 'rotate-root body: overlapSeconds: must be a positive number of seconds']);
    assert.deepEqual(asked, [undefined, 7_200_000, 1000]);
  });
});
