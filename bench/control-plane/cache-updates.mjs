// The control plane's share of a mesh-wide change, without sockets: CPU time to bring every
// namespace's shared outbound part up to date after one change of each kind the push bench
// applies (topology.mjs MESH_WIDE_KINDS), against computing the parts from scratch. One sidecar
// per namespace stands for its class (the part is computed once per class and reused by every
// sidecar of it). See bench/README.md.
//
//   npm run build && node bench/control-plane/cache-updates.mjs
import console from 'node:console';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { MESH_WIDE_KINDS, meshWide, topology } from './topology.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = (p) => import(path.join(ROOT, 'dist/src', p));
const { MemoryRegistry } = await dist('control-plane/registry/index.js');
const { SnapshotCache } = await dist('control-plane/translate/cache/snapshot-cache.js');
const { validateResource } = await dist('api/load.js');

const num = (name, def) => (process.env[name] ? Number(process.env[name]) : def);
const settings = { services: num('BENCH_CP_SERVICES', 1000), namespaces: num('BENCH_CP_NAMESPACES', 20), rounds: num('BENCH_CACHE_ROUNDS', 5) };
const topo = topology({ ...settings, proxies: 2 * settings.services });

const registry = new MemoryRegistry();
for (const s of topo.services) registry.upsertService({ name: s.name, namespace: s.namespace, ports: [{ port: 9080, name: 'http', protocol: 'http' }] });
for (const p of topo.proxies) {
  registry.registerWorkload({ id: p.id, service: p.service, namespace: p.namespace, serviceAccount: p.service, labels: p.labels, address: '127.0.0.1', inboundPort: p.ports.inbound, appPort: p.ports.app });
}
const snapshot = registry.list();
// One sidecar per namespace: the first proxies cover every namespace (services are round-robin).
const sidecars = topo.proxies.slice(0, settings.namespaces).map((p) => ({ kind: 'sidecar', workloadId: p.id, namespace: p.namespace, labels: p.labels, ports: p.ports }));

const cpuMs = (f) => {
  const before = process.cpuUsage();
  f();
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1000;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const cache = new SnapshotCache({ trustDomain: 'cluster.local', rootNamespace: 'istio-system' });
let resources = [];
const everyClass = (c) => sidecars.forEach((proxy) => c.snapshot({ resources, registry: snapshot, proxy }));
everyClass(cache);
const byKind = new Map(MESH_WIDE_KINDS.map((k) => [k, []]));
const scratch = [];
const idOf = (r) => `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`;
for (let round = 0; round < settings.rounds; round++) {
  for (const what of MESH_WIDE_KINDS) {
    const r = validateResource(meshWide(topo, what, round), { file: 'bench', docIndex: 0 });
    resources = [...resources.filter((x) => idOf(x) !== idOf(r)), r];
    const computed = cache.computed;
    const updated = cache.updated;
    byKind.get(what).push(cpuMs(() => everyClass(cache)));
    if (cache.updated - updated !== cache.computed - computed) console.log(`warning: ${what} recomputed some parts whole`);
  }
  scratch.push(cpuMs(() => everyClass(new SnapshotCache({ trustDomain: 'cluster.local', rootNamespace: 'istio-system' }))));
}

console.log(`${settings.services} services, ${settings.namespaces} namespaces (classes), median of ${settings.rounds} rounds, CPU ms for every class:`);
const rows = [['change', 'CPU ms', 'per class'], ...[...byKind].map(([k, xs]) => [k, median(xs).toFixed(0), (median(xs) / settings.namespaces).toFixed(1)])];
rows.push(['(every part from scratch)', median(scratch).toFixed(0), (median(scratch) / settings.namespaces).toFixed(1)]);
const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '));
