// Protocol detection (HTTP/1 vs opaque TCP, server-speaks-first), opaque TCP proxying, and
// graceful drain of in-flight requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo } from 'node:net';
import { startUpstream } from '../support/upstream.js';
import { call } from '../support/client.js';
import { proxyFor, cluster } from '../support/proxy.js';
import type { Snapshot } from '../../src/model/snapshot.js';

function detectSnapshot(httpPort: number, tcpPort: number, detectTimeoutMs = 200): Snapshot {
  return {
    version: '1',
    listeners: [{ name: 'mixed', address: '127.0.0.1', port: 0, protocol: 'detect', detectTimeoutMs, routeConfig: 'main', tcpCluster: 'tcp' }],
    routeConfigs: [{ name: 'main', virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ forward: { destinations: [{ cluster: 'http' }] } }] }] }],
    clusters: [cluster('http', [httpPort]), cluster('tcp', [tcpPort], { protocol: 'tcp' })],
  };
}

/** A server-speaks-first TCP service (like SMTP): greets, then echoes upper-cased. */
async function greeter(): Promise<{ port: number; close(): void }> {
  const srv = createServer((s) => {
    s.write('220 hello\r\n');
    s.on('data', (d) => s.write(d.toString().toUpperCase()));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { port: (srv.address() as AddressInfo).port, close: () => srv.close() };
}

test('one detecting listener serves HTTP/1 and opaque TCP, and a silent client gets the greeting', async () => {
  const up = await startUpstream('http');
  const g = await greeter();
  const proxy = await proxyFor(detectSnapshot(up.port, g.port));
  try {
    const r = await call(proxy.port, '/x');
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).url, '/x');

    // Client says nothing: after the detect timeout the proxy treats it as TCP, greeting flows.
    const t0 = Date.now();
    const s = connect(proxy.port, '127.0.0.1');
    let got = '';
    await new Promise<void>((resolve) =>
      s.on('data', (d) => {
        got += d.toString();
        if (got.includes('220 hello') && !got.includes('PING')) {
          s.write('ping');
        }
        if (got.includes('PING')) resolve();
      }),
    );
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(got, '220 hello\r\nPING');
    s.destroy();

    // A client speaking a binary protocol first is detected as TCP right away.
    const b = connect(proxy.port, '127.0.0.1');
    const echoed = await new Promise<string>((resolve) => {
      let acc = '';
      b.on('data', (d) => {
        acc += d.toString();
        if (acc.includes('\x01ABC')) resolve(acc);
      });
      b.write('\x01abc');
    });
    assert.ok(echoed.includes('\x01ABC'));
    b.destroy();
  } finally {
    await proxy.close();
    await up.close();
    g.close();
  }
});

test('drain lets in-flight requests finish, refuses new connections, then stops', async () => {
  const up = await startUpstream('slow');
  const proxy = await proxyFor({
    version: '1',
    drainTimeoutMs: 3000,
    listeners: [{ name: 'http', address: '127.0.0.1', port: 0, protocol: 'http1', routeConfig: 'main' }],
    routeConfigs: [{ name: 'main', virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ forward: { destinations: [{ cluster: 'c' }] } }] }] }],
    clusters: [cluster('c', [up.port])],
  });
  try {
    const inflight = call(proxy.port, '/delay/500');
    await new Promise((r) => setTimeout(r, 100));
    const drained = proxy.drain();
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(call(proxy.port, '/'), 'new connections are refused while draining');
    const r = await inflight;
    assert.equal(r.status, 200);
    assert.match(r.body, /after 500ms/);
    await drained;
  } finally {
    await up.close();
  }
});
