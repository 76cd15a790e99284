// The control plane under test, in a process of its own so that its RSS and CPU time are its own.
// It runs the real startControlPlane (CA, store, registry, translate, discovery over HTTP/2 + mTLS)
// from dist/, fills the registry with the bench's services and workloads, and registers every
// simulated proxy the way `maille run` does (expect → bootstrap token).
//
// Workloads are registered up front, as a Kubernetes source would list them, rather than one by
// one as proxies connect (local mode): the bench measures pushes of configuration changes, not a
// 2,000-step registry warm-up.
//
// Driven by the orchestrator over the IPC channel: {cmd: 'apply', id, resource} → {id, t0, t1};
// {cmd: 'stats', id} → {id, cpu, rss, maxRss, heap}; {cmd: 'stop'}.
import process from 'node:process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { topology, now } from './topology.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = (p) => import(path.join(ROOT, 'dist/src', p));

const { startControlPlane } = await dist('control-plane/control-plane.js');
const { MemoryRegistry } = await dist('control-plane/registry/index.js');
const { validateResource } = await dist('api/load.js');

const settings = JSON.parse(process.env.BENCH_CP_SETTINGS);
const topo = topology(settings);
const stateDir = mkdtempSync(path.join(settings.tmpDir ?? os.tmpdir(), 'cp-state-'));

const setupStart = now();
const registry = new MemoryRegistry();
for (const s of topo.services) registry.upsertService({ name: s.name, namespace: s.namespace, ports: [{ port: 9080, name: 'http', protocol: 'http' }] });
/** The registry's view of a simulated proxy's workload (registered up front, and again by expect()). */
const workloadOf = (p) => ({
  id: p.id,
  service: p.service,
  namespace: p.namespace,
  serviceAccount: p.service,
  labels: p.labels,
  address: '127.0.0.1',
  inboundPort: p.ports.inbound,
  appPort: p.ports.app,
});
for (const p of topo.proxies) registry.registerWorkload(workloadOf(p));

const cp = await startControlPlane({
  stateDir,
  trustDomain: 'cluster.local',
  rootNamespace: 'istio-system',
  port: 0,
  resources: [],
  registry,
});

const tokens = topo.proxies.map((p) =>
  cp.expect(
    {
      node: { kind: 'sidecar', workloadId: p.id, namespace: p.namespace, labels: p.labels, ports: { outbound: p.ports.outbound, inbound: p.ports.inbound } },
      identity: { trustDomain: 'cluster.local', namespace: p.namespace, serviceAccount: p.service },
      workload: workloadOf(p),
    },
    p.id,
  ),
);

function stats() {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return { cpuS: (cpu.user + cpu.system) / 1e6, rssMB: mem.rss / 1048576, maxRssMB: process.resourceUsage().maxRSS / 1024, heapMB: mem.heapUsed / 1048576 };
}

process.on('message', async (msg) => {
  try {
    if (msg.cmd === 'apply') {
      const resource = validateResource(msg.resource, { file: 'bench', docIndex: 0 });
      const t0 = now();
      await cp.store.apply([resource], 'bench');
      process.send({ id: msg.id, t0, t1: now() });
    } else if (msg.cmd === 'stats') {
      process.send({ id: msg.id, ...stats() });
    } else if (msg.cmd === 'status') {
      const st = cp.status();
      const counts = {};
      for (const s of st) counts[s.state] = (counts[s.state] ?? 0) + 1;
      process.send({ id: msg.id, connected: st.length, counts });
    } else if (msg.cmd === 'stop') {
      await cp.close();
      rmSync(stateDir, { recursive: true, force: true });
      process.exit(0);
    }
  } catch (err) {
    process.send({ id: msg.id, error: String(err?.stack ?? err) });
  }
});
process.on('disconnect', () => process.exit(0));

process.send({
  cmd: 'ready',
  port: cp.port,
  trustBundlePem: cp.trustBundlePem(),
  tokens,
  setupMs: now() - setupStart,
  ...stats(),
});
