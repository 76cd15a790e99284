// `maille run` as a user runs it: the real CLI process with examples/mesh.yaml (Istio YAML as
// is), traffic from the client workload's sidecar, and Ctrl-C leaving no process behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { viaProxy } from '../support/client.js';
import { startExampleMesh } from '../support/maille-run.js';

test('maille run: Istio routing between real workloads, then Ctrl-C stops everything', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'maille-run-'));
  const run = await startExampleMesh(stateDir);
  const { child, exited, lines } = run;
  try {
    const deadline = Date.now() + 30_000;
    const outbound = run.row('client-v1-0').outbound;
    const appPorts = ['reviews-v1-0', 'reviews-v2-0', 'client-v1-0'].map((id) => run.row(id).app);

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
