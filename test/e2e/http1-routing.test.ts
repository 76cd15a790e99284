// The proxy in front of real HTTP/1.1 servers: forwarding, routing, splits, local responses.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { call, callMany } from '../support/client.js';
import { proxyFor, snapshotWith, cluster } from '../support/proxy.js';

let v1: TestUpstream;
let v2: TestUpstream;
before(async () => {
  v1 = await startUpstream('v1');
  v2 = await startUpstream('v2');
});
after(async () => {
  await v1.close();
  await v2.close();
});

test('forwards a request and its response, adding a request id', async () => {
  const proxy = await proxyFor(snapshotWith([{ forward: { destinations: [{ cluster: 'c1' }] } }], [cluster('c1', [v1.port])]));
  try {
    const r = await call(proxy.port, '/hello?x=1', { host: 'reviews:9080', headers: { 'x-custom': 'yes' } });
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.body);
    assert.equal(seen.name, 'v1');
    assert.equal(seen.url, '/hello?x=1');
    assert.equal(seen.headers.host, 'reviews:9080');
    assert.equal(seen.headers['x-custom'], 'yes');
    assert.match(seen.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  } finally {
    await proxy.close();
  }
});

test('routes by header, path prefix, query parameter and method; first match wins', async () => {
  const proxy = await proxyFor(
    snapshotWith(
      [
        { name: 'jason', match: { headers: [{ name: 'end-user', value: { exact: 'jason' } }] }, forward: { destinations: [{ cluster: 'c2' }] } },
        { name: 'api', match: { path: { prefix: '/api/' }, methods: ['POST'] }, forward: { destinations: [{ cluster: 'c2' }] } },
        { name: 'beta', match: { queryParams: [{ name: 'beta', value: { exact: 'on' } }] }, forward: { destinations: [{ cluster: 'c2' }] } },
        { name: 'default', forward: { destinations: [{ cluster: 'c1' }] } },
      ],
      [cluster('c1', [v1.port]), cluster('c2', [v2.port])],
    ),
  );
  try {
    const who = async (path: string, opts = {}) => (await call(proxy.port, path, opts)).headers['x-upstream'];
    assert.equal(await who('/', { headers: { 'end-user': 'jason' } }), 'v2');
    assert.equal(await who('/', { headers: { 'end-user': 'mary' } }), 'v1');
    assert.equal(await who('/api/items', { method: 'POST' }), 'v2');
    assert.equal(await who('/api/items', { method: 'GET' }), 'v1');
    assert.equal(await who('/page?beta=on'), 'v2');
    assert.equal(await who('/page?beta=off'), 'v1');
  } finally {
    await proxy.close();
  }
});

test('a 90/10 weighted split stays within statistical bounds', async () => {
  const proxy = await proxyFor(
    snapshotWith([{ forward: { destinations: [{ cluster: 'c1', weight: 90 }, { cluster: 'c2', weight: 10 }] } }], [cluster('c1', [v1.port]), cluster('c2', [v2.port])]),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  try {
    const n = 1000;
    const replies = await callMany(n, 8, () => call(proxy.port, '/', { agent }));
    const toV2 = replies.filter((r) => r.headers['x-upstream'] === 'v2').length;
    // Binomial(1000, 0.1): sd ≈ 9.5; ±5 sd keeps this test from flaking yet catches a broken split.
    assert.ok(toV2 > 100 - 48 && toV2 < 100 + 48, `v2 got ${toV2} of ${n}`);
  } finally {
    agent.destroy();
    await proxy.close();
  }
});

test('no matching route answers 404 with a stable error code and a sentence', async () => {
  const proxy = await proxyFor(snapshotWith([{ match: { path: { exact: '/only' } }, forward: { destinations: [{ cluster: 'c1' }] } }], [cluster('c1', [v1.port])]));
  try {
    const r = await call(proxy.port, '/other', { host: 'shop' });
    assert.equal(r.status, 404);
    assert.equal(r.headers['x-maille-error'], 'MAILLE_ERR_NO_ROUTE');
    assert.match(r.body, /no route for GET shop\/other in route table main/);
  } finally {
    await proxy.close();
  }
});

test('direct responses, redirects, header mutations and rewrites', async () => {
  const proxy = await proxyFor(
    snapshotWith(
      [
        { match: { path: { exact: '/health' } }, direct: { status: 200, body: 'fine', headers: { 'x-direct': '1' } } },
        { match: { path: { exact: '/old' } }, redirect: { path: '/new', status: 308 } },
        {
          match: { path: { prefix: '/v1/' } },
          requestHeaders: { set: { 'x-added': 'by-proxy' }, remove: ['x-secret'] },
          responseHeaders: { add: { 'x-served-by': 'maille' } },
          forward: { destinations: [{ cluster: 'c1' }], rewrite: { pathPrefix: '/internal/', authority: 'backend.local' } },
        },
      ],
      [cluster('c1', [v1.port])],
    ),
  );
  try {
    const d = await call(proxy.port, '/health');
    assert.equal(d.status, 200);
    assert.equal(d.body, 'fine');
    assert.equal(d.headers['x-direct'], '1');
    const rd = await call(proxy.port, '/old?a=b', { host: 'shop' });
    assert.equal(rd.status, 308);
    assert.equal(rd.headers.location, 'http://shop/new?a=b');
    const f = await call(proxy.port, '/v1/items?q=1', { headers: { 'x-secret': 's' } });
    const seen = JSON.parse(f.body);
    assert.equal(seen.url, '/internal/items?q=1');
    assert.equal(seen.headers.host, 'backend.local');
    assert.equal(seen.headers['x-added'], 'by-proxy');
    assert.equal(seen.headers['x-secret'], undefined);
    assert.equal(f.headers['x-served-by'], 'maille');
  } finally {
    await proxy.close();
  }
});

test('an endpoint that refuses connections gets 503 naming the address', async () => {
  const closed = await startUpstream('gone');
  const port = closed.port;
  await closed.close();
  const proxy = await proxyFor(snapshotWith([{ forward: { destinations: [{ cluster: 'c1' }] } }], [cluster('c1', [port])]));
  try {
    const r = await call(proxy.port, '/');
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-maille-error'], 'MAILLE_ERR_UPSTREAM_CONNECT');
    assert.match(r.body, new RegExp(`connection refused by 127\\.0\\.0\\.1:${port}`));
  } finally {
    await proxy.close();
  }
});
