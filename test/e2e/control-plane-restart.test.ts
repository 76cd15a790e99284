// The control plane dies and comes back under continuous load: sidecars keep serving with their
// last configuration (no request fails), then reconnect with their certificates and resync.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../../src/control-plane/control-plane.js';
import { MemoryRegistry } from '../../src/control-plane/registry/index.js';
import { startUpstream } from '../support/upstream.js';
import { connectSidecars, freePort, loadLoops, outboundGetter, sidecar } from '../support/mesh.js';

test('killing and restarting the control plane under load loses no request', async () => {
  const app = await startUpstream('reviews');
  const stateDir = mkdtempSync(join(tmpdir(), 'maille-cp-restart-'));
  const registry = new MemoryRegistry();
  registry.upsertService({ name: 'reviews', ports: [{ port: 9080 }] });
  registry.upsertService({ name: 'client', ports: [{ port: 8080 }] });
  const start = (port: number): Promise<ControlPlane> =>
    startControlPlane({ stateDir, trustDomain: 'cluster.local', rootNamespace: 'istio-system', port, resources: [], registry });
  let cp = await start(0);
  const cpPort = cp.port;
  const server = await sidecar('reviews', app.port);
  const client = await sidecar('client', await freePort());
  const proxies = connectSidecars(cp, [server, client]);
  const { get, close } = outboundGetter(client.ports.outbound, 'http://reviews:9080/x');
  try {
    await Promise.all(proxies.map((p) => p.proxy));
    const deadline = Date.now() + 15_000;
    while ((await get()) !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

    // Continuous load, 4 loops, bounded at 30 s.
    const load = loadLoops(get, 4, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    await cp.close(); // the control plane is gone
    await new Promise((r) => setTimeout(r, 1000));
    cp = await start(cpPort); // back, same state dir (same CA), same port
    for (const s of [server, client]) cp.expect(s.expected, s.node.id);
    const resynced = Date.now() + 15_000;
    while (cp.status().filter((p) => p.state === 'synced').length < 2 && Date.now() < resynced) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    await load.stop();
    const statuses = load.statuses;

    assert.equal(cp.status().filter((p) => p.state === 'synced').length, 2, 'both sidecars reconnected and ACKed');
    assert.ok(statuses.length > 100, `requests sent during the test: ${statuses.length}`);
    const failed = statuses.filter((s) => s !== 200);
    assert.equal(failed.length, 0, `failed: ${failed.length} of ${statuses.length} (${[...new Set(failed)].join(', ')})`);
  } finally {
    close();
    await Promise.all(proxies.map((p) => p.close()));
    await cp.close();
    await app.close();
  }
});
