// The `onread` read path (read-port.ts) and the coarse idle sweeps, through a real proxy:
// bodies must arrive byte for byte while many sockets read concurrently and writes back up
// (a kept reference to a reused read buffer would corrupt them), and idle connections on both
// sides must still close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { startProxy, type ProxyHandle } from '../../app/proxy.js';
import { validateSnapshot } from '../../config/validate.js';
import type { Snapshot } from '../../../model/snapshot.js';

/** Echoes request bodies (chunked back); counts upstream connections. */
async function echoUpstream(): Promise<{ server: Server; port: number; connections: () => number; open: () => number }> {
  let total = 0;
  let open = 0;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    req.pipe(res);
  });
  server.on('connection', (s) => {
    total++;
    open++;
    s.on('close', () => open--);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, connections: () => total, open: () => open };
}

async function proxyTo(port: number, listenerIdleMs?: number, poolIdleMs?: number): Promise<ProxyHandle & { port: number }> {
  const snapshot: Snapshot = {
    version: '1',
    listeners: [
      { name: 'http', address: '127.0.0.1', port: 0, protocol: 'http1', routeConfig: 'main', ...(listenerIdleMs ? { limits: { idleTimeoutMs: listenerIdleMs } } : {}) },
    ],
    routeConfigs: [{ name: 'main', virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ forward: { destinations: [{ cluster: 'c' }] } }] }] }],
    clusters: [{ name: 'c', endpoints: [{ address: '127.0.0.1', port }], ...(poolIdleMs ? { connectionPool: { idleTimeoutMs: poolIdleMs } } : {}) }],
  };
  const valid = validateSnapshot(snapshot, 'test snapshot');
  const h = await startProxy({ snapshot: valid, adminPort: 0, adminAddress: '127.0.0.1', logLevel: 'error' });
  return Object.assign(h, { port: h.listenerPorts.get('http')! });
}

/** Deterministic bytes that differ by position and seed, so a stale or shifted byte shows. */
function block(seed: number, index: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761 + index * 40503) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Uploads `blocks` blocks chunked (sizes vary), reads the echo slowly; returns both digests. */
function roundTrip(port: number, seed: number, blocks: number): Promise<{ sent: string; got: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const sent = createHash('sha256');
    const got = createHash('sha256');
    let bytes = 0;
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/echo', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
      let nextPause = 256 * 1024;
      res.on('data', (c: Buffer) => {
        got.update(c);
        bytes += c.length;
        // A slow reader: the proxy's writes back up, so chunks handed on stay referenced.
        if (bytes >= nextPause) {
          nextPause = bytes + 256 * 1024;
          res.pause();
          setTimeout(() => res.resume(), 20);
        }
      });
      res.on('end', () => resolve({ sent: sent.digest('hex'), got: got.digest('hex'), bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    let i = 0;
    const pump = (): void => {
      while (i < blocks) {
        const b = block(seed, i, 1000 + ((i * 7919) % 60000));
        i++;
        sent.update(b);
        if (!req.write(b)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

test('concurrent chunked uploads echo back byte for byte through onread sockets', async () => {
  const up = await echoUpstream();
  const proxy = await proxyTo(up.port);
  try {
    const runs = await Promise.all([1, 2, 3, 4, 5, 6].map((seed) => roundTrip(proxy.port, seed, 200)));
    for (const r of runs) {
      assert.ok(r.bytes > 1_000_000, `echoed ${r.bytes} bytes`);
      assert.equal(r.got, r.sent);
    }
  } finally {
    await proxy.close();
    up.server.close();
  }
});

test('pipelined requests split across reads are answered in order', async () => {
  const up = await echoUpstream();
  const proxy = await proxyTo(up.port);
  try {
    const reqs = ['a', 'bb', 'ccc'].map((b) => `POST /p HTTP/1.1\r\nhost: x\r\ncontent-length: ${b.length}\r\n\r\n${b}`).join('');
    const text = await new Promise<string>((resolve, reject) => {
      const s = connect(proxy.port, '127.0.0.1');
      let out = '';
      s.on('data', (d) => {
        out += d.toString('latin1');
        if ((out.match(/HTTP\/1\.1 200/g) ?? []).length === 3 && /ccc(\r\n0\r\n\r\n)?$/.test(out)) {
          s.end();
          resolve(out);
        }
      });
      s.on('error', reject);
      // Cut inside a head and inside a body, so bytes must be kept across reads.
      s.write(reqs.slice(0, 20));
      setTimeout(() => s.write(reqs.slice(20, 57)), 20);
      setTimeout(() => s.write(reqs.slice(57)), 40);
      setTimeout(() => reject(new Error(`no complete answers: ${JSON.stringify(out)}`)), 5000);
    });
    const bodies = [...text.matchAll(/\r\n\r\n(?:[0-9a-f]+\r\n)?(a|bb|ccc)\r\n/g)].map((m) => m[1]);
    assert.deepEqual(bodies, ['a', 'bb', 'ccc']);
  } finally {
    await proxy.close();
    up.server.close();
  }
});

test('idle client and upstream connections are closed by the idle sweeps', async () => {
  const up = await echoUpstream();
  const proxy = await proxyTo(up.port, 200, 200);
  try {
    const s = connect(proxy.port, '127.0.0.1');
    const closed = new Promise<number>((resolve) => {
      const t0 = Date.now();
      s.on('close', () => resolve(Date.now() - t0));
    });
    s.on('error', () => {});
    s.resume(); // read, so the close is seen
    s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    const ms = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
    assert.ok(ms >= 200, `closed after ${ms} ms (idle timeout 200 ms)`);
    // The pooled upstream connection went idle at the same time and is gone too.
    const deadline = Date.now() + 5000;
    while (up.open() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(up.open(), 0, 'pooled upstream connection closed');
    assert.equal(up.connections(), 1);
  } finally {
    await proxy.close();
    up.server.close();
  }
});
