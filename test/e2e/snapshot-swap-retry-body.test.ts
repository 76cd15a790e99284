// Snapshot swaps under traffic, and retries of requests with bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { startUpstream } from '../support/upstream.js';
import { call, callMany } from '../support/client.js';
import { proxyFor, snapshotWith, cluster } from '../support/proxy.js';
import type { Snapshot } from '../../src/model/snapshot.js';

test('a new snapshot takes effect for new requests; in-flight ones finish; a bad one is refused', async () => {
  const a = await startUpstream('a');
  const b = await startUpstream('b');
  const first = snapshotWith([{ forward: { destinations: [{ cluster: 'ca' }] } }], [cluster('ca', [a.port]), cluster('cb', [b.port])]);
  const proxy = await proxyFor(first);
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  try {
    assert.equal((await call(proxy.port, '/', { agent })).headers['x-upstream'], 'a');
    const slow = call(proxy.port, '/delay/300', { agent });
    await new Promise((r) => setTimeout(r, 50));
    const second: Snapshot = { ...first, version: '2', routeConfigs: [{ name: 'main', virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ forward: { destinations: [{ cluster: 'cb' }] } }] }] }] };
    proxy.applySnapshot(second);
    await new Promise((r) => setTimeout(r, 50));
    const after = await callMany(10, 2, () => call(proxy.port, '/', { agent }));
    assert.ok(after.every((r) => r.headers['x-upstream'] === 'b'), 'new requests follow the new routes, on kept-alive connections too');
    const s = await slow;
    assert.equal(s.status, 200, 'the request in flight during the swap completed');
    assert.match(s.body, /^a after/);

    // A snapshot whose route cannot compile (bad regex) is refused; version 2 keeps serving.
    const broken: Snapshot = { ...second, version: '3', routeConfigs: [{ name: 'main', virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ match: { path: { regex: '(' } }, forward: { destinations: [{ cluster: 'ca' }] } }] }] }] };
    proxy.applySnapshot(broken);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await call(proxy.port, '/', { agent })).headers['x-upstream'], 'b');
    const dump = JSON.parse((await call(proxy.adminPort, '/config_dump', { host: '127.0.0.1' })).body);
    assert.equal(dump.version, '2');
  } finally {
    agent.destroy();
    await proxy.close();
    await a.close();
    await b.close();
  }
});

test('a request body is replayed on retry; one too large to keep is not retried', async () => {
  const up = await startUpstream('u');
  const proxy = await proxyFor(
    snapshotWith([{ forward: { destinations: [{ cluster: 'c' }], retry: { attempts: 2, retryOn: ['5xx'], backoff: { baseMs: 1 } } } }], [cluster('c', [up.port])]),
  );
  try {
    const bodies: string[] = [];
    let failures = 1;
    up.override = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString());
        if (failures-- > 0) res.writeHead(503).end();
        else res.writeHead(200).end(`got ${Buffer.concat(chunks).length}`);
      });
      return true;
    };
    const small = await call(proxy.port, '/echo', { method: 'POST', body: 'hello body' });
    assert.equal(small.status, 200);
    assert.deepEqual(bodies, ['hello body', 'hello body']);

    bodies.length = 0;
    failures = 1;
    const big = 'z'.repeat(200 * 1024);
    const r = await call(proxy.port, '/echo', { method: 'POST', body: big });
    assert.equal(r.status, 503, 'not retried: the body was too large to keep');
    assert.equal(bodies.length, 1);
    assert.equal(bodies[0].length, big.length);
  } finally {
    up.override = undefined;
    await proxy.close();
    await up.close();
  }
});
