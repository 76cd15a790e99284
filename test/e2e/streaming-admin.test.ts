// The real `maille proxy` process: 100 MB streamed up and down with bounded memory, the admin
// endpoints, and consistent-hash stickiness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { startUpstream } from '../support/upstream.js';
import { packageInfo } from '../../src/cli/package-info.js';
import { call, callMany } from '../support/client.js';
import { proxyFor, snapshotWith, cluster } from '../support/proxy.js';

const BIN = join(packageInfo().root, 'bin/maille.js');

/** Starts `maille proxy` on a config file; resolves with its pid and ports once it listens. */
async function startProxyProcess(config: unknown): Promise<{ pid: number; port: number; admin: number; stop(): Promise<number | null> }> {
  const dir = mkdtempSync(join(tmpdir(), 'maille-e2e-'));
  const file = join(dir, 'proxy.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, [BIN, 'proxy', '--config', file, '--admin-port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  let port = 0;
  let admin = 0;
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`maille proxy exited with ${code}`)));
    lines.on('line', (l) => {
      const m = /^(listener \S+|admin) [\d.]+:(\d+)$/.exec(l);
      if (!m) return;
      if (m[1] === 'admin') admin = Number(m[2]);
      else port = Number(m[2]);
      if (port && admin) resolve();
    });
  });
  return {
    pid: child.pid!,
    port,
    admin,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

function rssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

test('100 MB upload and download stream through with bounded proxy memory', async () => {
  const up = await startUpstream('big');
  const proxy = await startProxyProcess(snapshotWith([{ forward: { destinations: [{ cluster: 'c' }] } }], [cluster('c', [up.port])]));
  try {
    const size = 100 * 1024 * 1024;
    // Upload: the upstream echoes, so 100 MB goes up and comes back down in one exchange.
    const received = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxy.port, path: '/echo', method: 'POST', headers: { host: 'big' } }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve(n));
      });
      req.on('error', reject);
      const block = Buffer.alloc(256 * 1024, 97);
      let sent = 0;
      const pump = (): void => {
        while (sent < size) {
          sent += block.length;
          if (!req.write(block)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    assert.equal(received, size);
    const down = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port: proxy.port, path: `/bytes/${size}`, headers: { host: 'big' } }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve(n));
      })
        .on('error', reject)
        .end();
    });
    assert.equal(down, size);
    const peak = rssMb(proxy.pid);
    // Whole-body buffering would need > 100 MB; streaming stays near the idle footprint.
    assert.ok(peak < 160, `proxy peak RSS ${peak.toFixed(0)} MB`);
  } finally {
    assert.equal(await proxy.stop(), 0, 'SIGTERM drains and exits 0');
    await up.close();
  }
});

test('admin: ready, config_dump, clusters with ejections, Prometheus metrics', async () => {
  const up = await startUpstream('a');
  const bad = await startUpstream('b');
  bad.override = (req, res) => {
    req.resume();
    res.writeHead(503).end();
    return true;
  };
  const proxy = await proxyFor(
    snapshotWith(
      [{ name: 'r1', forward: { destinations: [{ cluster: 'c' }] } }],
      [cluster('c', [up.port, bad.port], { loadBalancer: { policy: 'round_robin' }, outlierDetection: { consecutive5xx: 2, maxEjectionPercent: 50 } })],
      { version: 'v-admin-7' },
    ),
  );
  try {
    for (let i = 0; i < 6; i++) await call(proxy.port, '/');
    const admin = (p: string) => call(proxy.adminPort, p, { host: '127.0.0.1' });
    assert.equal((await admin('/ready')).status, 200);
    assert.equal((await admin('/healthz')).status, 200);
    assert.equal(JSON.parse((await admin('/config_dump')).body).version, 'v-admin-7');
    const clusters = JSON.parse((await admin('/clusters')).body) as { name: string; endpoints: { port: number; ejected: boolean }[] }[];
    const c = clusters.find((x) => x.name === 'c')!;
    assert.equal(c.endpoints.find((e) => e.port === bad.port)!.ejected, true);
    assert.equal(c.endpoints.find((e) => e.port === up.port)!.ejected, false);
    const metrics = (await admin('/stats/prometheus')).body;
    assert.match(metrics, /maille_requests_total\{route="r1",cluster="c",code="200"\} \d+/);
    assert.match(metrics, /maille_requests_total\{route="r1",cluster="c",code="503"\} 2/);
    assert.match(metrics, /maille_outlier_ejections_total\{cluster="c"\} 1/);
    assert.match(metrics, /maille_request_duration_ms_bucket\{route="r1",cluster="c",le="\+Inf"\} 6/);
    await call(proxy.port, '/', { headers: { 'content-length': 'x' } });
    const after = (await admin('/stats/prometheus')).body;
    assert.match(after, /maille_proxy_errors_total\{code="MAILLE_ERR_BAD_REQUEST"\} 1/);
  } finally {
    await proxy.close();
    await up.close();
    await bad.close();
  }
});

test('consistent hash on a header keeps a user on one endpoint', async () => {
  const ups = await Promise.all(['h1', 'h2', 'h3'].map((n) => startUpstream(n)));
  const proxy = await proxyFor(
    snapshotWith([{ forward: { destinations: [{ cluster: 'c' }] } }], [
      cluster('c', ups.map((u) => u.port), { loadBalancer: { policy: 'consistent_hash', hash: { header: 'x-user' } } }),
    ]),
  );
  try {
    const users = Array.from({ length: 30 }, (_, i) => `user-${i}`);
    const first = await Promise.all(users.map((u) => call(proxy.port, '/', { headers: { 'x-user': u } })));
    const again = await callMany(users.length, 4, (i) => call(proxy.port, '/', { headers: { 'x-user': users[i] } }));
    assert.deepEqual(again.map((r) => r.headers['x-upstream']), first.map((r) => r.headers['x-upstream']));
    assert.ok(new Set(first.map((r) => r.headers['x-upstream'])).size > 1, 'users spread over endpoints');
  } finally {
    await proxy.close();
    await Promise.all(ups.map((u) => u.close()));
  }
});
