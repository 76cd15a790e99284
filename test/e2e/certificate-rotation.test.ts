// Workload certificates that live only seconds are renewed at half-life under continuous load
// through an mTLS hop: no request fails, and the serving certificate really changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../../src/control-plane/control-plane.js';
import { MemoryRegistry } from '../../src/control-plane/registry/index.js';
import { startUpstream } from '../support/upstream.js';
import { connectSidecars, freePort, loadLoops, outboundGetter, sidecar } from '../support/mesh.js';

test('short-lived certificates rotate under load with zero failed requests', async () => {
  const app = await startUpstream('reviews');
  const registry = new MemoryRegistry();
  registry.upsertService({ name: 'reviews', ports: [{ port: 9080 }] });
  registry.upsertService({ name: 'client', ports: [{ port: 8080 }] });
  const cp = await startControlPlane({
    stateDir: mkdtempSync(join(tmpdir(), 'maille-rotation-')),
    trustDomain: 'cluster.local',
    rootNamespace: 'istio-system',
    port: 0,
    resources: [],
    registry,
    svidTtlMs: 4_000,
  });
  const server = await sidecar('reviews', app.port);
  const client = await sidecar('client', await freePort());
  const proxies = connectSidecars(cp, [server, client]);
  const { get, close } = outboundGetter(client.ports.outbound, 'http://reviews:9080/x');
  try {
    await Promise.all(proxies.map((p) => p.proxy));
    const deadline = Date.now() + 15_000;
    while ((await get()) !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const serials = new Set(proxies.map((p) => p.client.currentCertificate()?.serialNumber));
    const load = loadLoops(get, 4, 30_000);
    // Long enough for several renewals of a 4 s certificate on both sidecars.
    const until = Date.now() + 7_000;
    while (Date.now() < until) {
      for (const p of proxies) serials.add(p.client.currentCertificate()?.serialNumber);
      await new Promise((r) => setTimeout(r, 200));
    }
    await load.stop();
    assert.ok(serials.size >= 6, `certificates seen: ${serials.size} (2 at start, each sidecar renews every ~2 s)`);
    assert.ok(load.statuses.length > 100, `requests: ${load.statuses.length}`);
    const failed = load.statuses.filter((s) => s !== 200);
    assert.equal(failed.length, 0, `failed: ${failed.length} of ${load.statuses.length}`);
    // After the load, a fresh connection still works with the newest certificates.
    close();
    assert.equal(await outboundGetter(client.ports.outbound, 'http://reviews:9080/x').get(), 200);
  } finally {
    close();
    await Promise.all(proxies.map((p) => p.close()));
    await cp.close();
    await app.close();
  }
});
