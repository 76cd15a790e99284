// The HTTP/1 write path through a real proxy (direct-write.ts, serialize.ts): response heads
// serialized into the shared scratch buffer, coalesced with a first body chunk or not, bodies
// written past the Writable with backpressure from slow readers, pipelined responses in order,
// request bodies with a content-length, and a client that goes away in the middle of a response.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { startProxy, type ProxyHandle } from '../../app/proxy.js';
import { validateSnapshot } from '../../config/validate.js';
import type { Snapshot } from '../../../model/snapshot.js';

/** Deterministic bytes for `seed`, so a shifted, stale or reordered byte shows in a digest. */
function bytes(seed: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * GET /size/N/seed/S answers N deterministic bytes with a content-length (in 64 KB writes);
 * POST /digest answers the sha256 of the request body.
 */
async function upstream(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const m = /^\/size\/(\d+)\/seed\/(\d+)$/.exec(req.url ?? '');
    if (m) {
      const body = bytes(Number(m[2]), Number(m[1]));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length, 'x-seed': m[2] });
      let off = 0;
      const pump = (): void => {
        while (off < body.length) {
          const part = body.subarray(off, off + 65536);
          off += part.length;
          if (!res.write(part)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    const h = createHash('sha256');
    let n = 0;
    req.on('data', (c: Buffer) => {
      h.update(c);
      n += c.length;
    });
    req.on('end', () => res.end(`${n} ${h.digest('hex')}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

async function proxyTo(port: number): Promise<ProxyHandle & { port: number }> {
  const snapshot: Snapshot = {
    version: '1',
    listeners: [{ name: 'http', address: '127.0.0.1', port: 0, protocol: 'http1', routeConfig: 'main' }],
    routeConfigs: [{ name: 'main', virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ forward: { destinations: [{ cluster: 'c' }] } }] }] }],
    clusters: [{ name: 'c', endpoints: [{ address: '127.0.0.1', port }] }],
  };
  const h = await startProxy({ snapshot: validateSnapshot(snapshot, 'test snapshot'), adminPort: 0, adminAddress: '127.0.0.1', logLevel: 'error' });
  return Object.assign(h, { port: h.listenerPorts.get('http')! });
}

/** GET with a reader that pauses every `pauseEvery` bytes; resolves status, headers and body. */
function slowGet(port: number, path: string, pauseEvery: number): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const parts: Buffer[] = [];
      let since = 0;
      res.on('data', (c: Buffer) => {
        parts.push(c);
        since += c.length;
        if (since >= pauseEvery) {
          since = 0;
          res.pause();
          setTimeout(() => res.resume(), 10);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

test('responses of every size arrive byte for byte through slow readers', async () => {
  const up = await upstream();
  const proxy = await proxyTo(up.port);
  try {
    // 1 KB and 15 KB go out with the head in one write; 17 KB and up do not; 6 MB backs up.
    const sizes = [0, 1, 1024, 15 * 1024, 16 * 1024 + 1, 17 * 1024, 300 * 1024, 6 * 1024 * 1024];
    const runs = await Promise.all(sizes.map((size, i) => slowGet(proxy.port, `/size/${size}/seed/${i + 1}`, 256 * 1024)));
    runs.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-seed'], String(i + 1));
      assert.equal(r.headers['content-length'], String(sizes[i]));
      assert.equal(r.body.length, sizes[i]);
      assert.equal(sha(r.body), sha(bytes(i + 1, sizes[i])), `body of ${sizes[i]} bytes`);
    });
  } finally {
    await proxy.close();
    up.server.close();
  }
});

/** Reads raw HTTP/1.1 responses to pipelined GETs off `s`, slowly, until `count` complete. */
function readResponses(s: Socket, count: number): Promise<{ seed: string; body: Buffer }[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const out: { seed: string; body: Buffer }[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${out.length} of ${count} responses`)), 30_000);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) break;
        const head = buf.subarray(0, end).toString('latin1');
        const len = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1]);
        if (buf.length < end + 4 + len) break;
        out.push({ seed: /\r\nx-seed: (\d+)/i.exec(head)?.[1] ?? '?', body: Buffer.from(buf.subarray(end + 4, end + 4 + len)) });
        buf = buf.subarray(end + 4 + len);
      }
      if (out.length === count) {
        clearTimeout(timer);
        resolve(out);
      }
      s.pause();
      setTimeout(() => s.resume(), 2);
    });
    s.on('error', reject);
  });
}

test('pipelined requests get their responses in order, whole, under backpressure', async () => {
  const up = await upstream();
  const proxy = await proxyTo(up.port);
  const s = connect(proxy.port, '127.0.0.1');
  try {
    const sizes = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? 200_000 + i * 1000 : 500 + i * 37));
    const all = sizes.map((size, i) => `GET /size/${size}/seed/${i + 1} HTTP/1.1\r\nhost: x\r\n\r\n`).join('');
    s.write(all);
    const got = await readResponses(s, sizes.length);
    got.forEach((r, i) => {
      assert.equal(r.seed, String(i + 1), `response ${i} out of order`);
      assert.equal(sha(r.body), sha(bytes(i + 1, sizes[i])), `body of response ${i}`);
    });
  } finally {
    s.destroy();
    await proxy.close();
    up.server.close();
  }
});

test('request bodies with a content-length reach the upstream byte for byte', async () => {
  const up = await upstream();
  const proxy = await proxyTo(up.port);
  try {
    for (const [seed, size] of [
      [1, 10],
      [2, 70_000],
      [3, 5 * 1024 * 1024],
    ]) {
      const body = bytes(seed, size);
      const answer = await new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: proxy.port, method: 'POST', path: '/digest', agent: false, headers: { 'content-length': size } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(answer, `${size} ${sha(body)}`);
    }
  } finally {
    await proxy.close();
    up.server.close();
  }
});

test('a client that goes away mid-response leaves the proxy serving', async () => {
  const up = await upstream();
  const proxy = await proxyTo(up.port);
  try {
    for (let round = 0; round < 3; round++) {
      await new Promise<void>((resolve, reject) => {
        const s = connect(proxy.port, '127.0.0.1');
        let got = 0;
        s.on('data', (c: Buffer) => {
          got += c.length;
          // Stop reading, let the proxy's writes queue, then reset the connection.
          if (got > 100_000 && !s.isPaused()) {
            s.pause();
            setTimeout(() => {
              s.resetAndDestroy();
              resolve();
            }, 50);
          }
        });
        s.on('error', () => {});
        s.on('close', () => (got > 100_000 ? resolve() : reject(new Error(`closed after ${got} bytes`))));
        s.write(`GET /size/${32 * 1024 * 1024}/seed/9 HTTP/1.1\r\nhost: x\r\n\r\n`);
      });
      const r = await slowGet(proxy.port, '/size/5000/seed/4', 1 << 30);
      assert.equal(r.status, 200);
      assert.equal(sha(r.body), sha(bytes(4, 5000)));
    }
  } finally {
    await proxy.close();
    up.server.close();
  }
});
