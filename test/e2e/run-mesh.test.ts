// `maille run` as a user runs it: the real CLI process with examples/mesh.yaml (Istio YAML as
// is), traffic from the client workload's sidecar, and Ctrl-C leaving no process behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'node:http';

const ROOT = join(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/maille.js');

/** GET through a sidecar's outbound listener, as an app with HTTP_PROXY set does. */
function viaProxy(proxyPort: number, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: '127.0.0.1', port: proxyPort, path: url, headers: { host: u.host, ...headers }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('maille run: Istio routing between real workloads, then Ctrl-C stops everything', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'maille-run-'));
  const child = spawn(process.execPath, [BIN, 'run', '-f', 'examples/mesh.yaml', '--state-dir', stateDir, '--control-plane-port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    const deadline = Date.now() + 30_000;
    // Ready when all three sidecars printed their admin line.
    while (lines.filter((l) => /\/proxy\] admin /.test(l)).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const row = lines.find((l) => l.startsWith('client-v1-0 '));
    assert.ok(row, lines.join('\n'));
    const outbound = Number(row.split(/\s+/)[5]);
    const appPorts = lines.filter((l) => /^(reviews|client)-v\d-0 /.test(l)).map((l) => Number(l.split(/\s+/)[3]));

    // The first requests may land before the client sidecar has its endpoints: wait for a 200.
    while (Date.now() < deadline && (await viaProxy(outbound, 'http://reviews:9080/r').catch(() => ({ status: 0 }))).status !== 200) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const versions = { v1: 0, v2: 0 };
    for (let i = 0; i < 100; i++) {
      const r = await viaProxy(outbound, 'http://reviews:9080/r').catch((e: Error) => {
        throw new Error(`request ${i} through the client sidecar (${outbound}): ${e.message}\n${lines.join('\n')}`);
      });
      assert.equal(r.status, 200);
      const seen = JSON.parse(r.body);
      versions[seen.version as 'v1' | 'v2']++;
      // Sidecar to sidecar is mTLS: the reviews app learns the caller's SPIFFE identity.
      assert.equal(seen.caller, 'URI=spiffe://cluster.local/ns/default/sa/client');
    }
    // 50/50 from the VirtualService: Binomial(100, 0.5), ±5 sd.
    assert.ok(versions.v1 >= 25 && versions.v1 <= 75, JSON.stringify(versions));
    for (let i = 0; i < 5; i++) {
      const jason = await viaProxy(outbound, 'http://reviews:9080/r', { 'end-user': 'jason' });
      assert.equal(JSON.parse(jason.body).version, 'v2');
    }
    const missing = await viaProxy(outbound, 'http://nosuch:9080/');
    assert.equal(missing.status, 404);

    child.kill('SIGINT');
    assert.equal(await exited, 0);
    // Every app is gone: its port no longer answers.
    for (const port of appPorts) {
      await assert.rejects(viaProxy(port, 'http://x/'), `app on ${port} stopped`);
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
