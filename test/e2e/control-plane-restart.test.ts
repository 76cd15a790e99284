// The control plane dies and comes back under continuous load: sidecars keep serving with their
// last configuration (no request fails), then reconnect with their certificates and resync.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane, type ExpectedProxy } from '../../src/control-plane/control-plane.js';
import { MemoryRegistry } from '../../src/control-plane/registry/index.js';
import type { NodeInfo } from '../../src/control-plane/discovery/protocol.js';
import { runWithControlPlane } from '../../src/proxy/app/control-plane-mode.js';
import { startUpstream } from '../support/upstream.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Sidecar {
  expected: ExpectedProxy;
  node: NodeInfo;
  ports: { inbound: number; outbound: number };
}

async function sidecar(service: string, appPort: number): Promise<Sidecar> {
  const id = `${service}-v1-0`;
  const ports = { inbound: await freePort(), outbound: await freePort() };
  const labels = { app: service, version: 'v1' };
  return {
    ports,
    node: { id, namespace: 'default', serviceAccount: service, labels, addresses: ['127.0.0.1'], proxyVersion: 'test' },
    expected: {
      node: { kind: 'sidecar', workloadId: id, namespace: 'default', labels, ports },
      identity: { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: service },
      workload: { id, service, namespace: 'default', serviceAccount: service, labels, address: '127.0.0.1', inboundPort: ports.inbound, appPort },
    },
  };
}

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
  const proxies = [server, client].map((s) => {
    const token = cp.expect(s.expected, s.node.id);
    return runWithControlPlane({
      address: '127.0.0.1',
      port: cpPort,
      trustBundlePem: cp.trustBundlePem(),
      trustDomain: 'cluster.local',
      bootstrapToken: token,
      node: s.node,
      adminPort: 0,
      adminAddress: '127.0.0.1',
      logLevel: 'error',
    });
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const get = (): Promise<number> =>
    new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port: client.ports.outbound, path: 'http://reviews:9080/x', headers: { host: 'reviews:9080' }, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
      req.end();
    });
  try {
    await Promise.all(proxies.map((p) => p.proxy));
    const deadline = Date.now() + 15_000;
    while ((await get()) !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

    // Continuous load (bounded: at most 30 s, stops when told) in 4 parallel loops.
    const statuses: number[] = [];
    let running = true;
    const loops = Array.from({ length: 4 }, async () => {
      const stopAt = Date.now() + 30_000;
      while (running && Date.now() < stopAt) statuses.push(await get());
    });
    await new Promise((r) => setTimeout(r, 300));
    await cp.close(); // the control plane is gone
    await new Promise((r) => setTimeout(r, 1000));
    cp = await start(cpPort); // back, same state dir (same CA), same port
    for (const s of [server, client]) cp.expect(s.expected, s.node.id);
    const resynced = Date.now() + 15_000;
    while (cp.status().filter((p) => p.state === 'synced').length < 2 && Date.now() < resynced) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    running = false;
    await Promise.all(loops);

    assert.equal(cp.status().filter((p) => p.state === 'synced').length, 2, 'both sidecars reconnected and ACKed');
    assert.ok(statuses.length > 100, `requests sent during the test: ${statuses.length}`);
    const failed = statuses.filter((s) => s !== 200);
    assert.equal(failed.length, 0, `failed: ${failed.length} of ${statuses.length} (${[...new Set(failed)].join(', ')})`);
  } finally {
    agent.destroy();
    await Promise.all(proxies.map((p) => p.close()));
    await cp.close();
    await app.close();
  }
});
