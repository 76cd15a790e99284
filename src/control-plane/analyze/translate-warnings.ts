// What translate cannot apply as written, for the sidecars the Mesh would start: the same
// warnings the control plane logs at run time, found before anything runs. Each warning names a
// resource and a field as text; they are mapped back to the file, document and line.
import type { Resource } from '../../api/kinds.js';
import { MemoryRegistry, servicesFromMesh } from '../registry/index.js';
import { translate } from '../translate/index.js';
import type { SidecarNode } from '../translate/index.js';
import type { Mesh } from '../../api/mesh.js';
import { findingAt } from './finding.js';
import { parsePath } from './lines.js';
import type { AnalyzeOptions, Finding, Located } from './types.js';
import type { World } from './world.js';

export function translateFindings(world: World, resources: readonly Located[], options: AnalyzeOptions): Finding[] {
  const meshes = resources.filter((l): l is Located<Mesh> => l.resource.kind === 'Mesh');
  if (!world.known || meshes.length === 0) return [];
  const registry = new MemoryRegistry();
  for (const m of meshes) for (const def of servicesFromMesh(m.resource)) registry.upsertService(def);
  // Ports are the service's: local mode picks free ones at run time, and no warning depends on them
  // except port-level mTLS, which then reads as it would on Kubernetes (targetPort = port).
  const running = world.workloads.filter((w) => w.replicas > 0);
  running.forEach((w, i) => {
    registry.registerWorkload({ id: w.id, service: w.service, namespace: w.namespace, serviceAccount: w.serviceAccount, labels: w.labels, address: '127.0.0.1', inboundPort: 20000 + i, appPort: w.port });
  });
  const others = resources.filter((l) => l.resource.kind !== 'Mesh');
  const input = others.map((l) => l.resource);
  const lines = new Set<string>();
  for (const [i, w] of running.entries()) {
    const proxy: SidecarNode = { kind: 'sidecar', workloadId: w.id, namespace: w.namespace, labels: w.labels, ports: { outbound: 30000 + i, inbound: 20000 + i } };
    const { warnings } = translate({ resources: input, registry: registry.list(), mesh: { trustDomain: options.trustDomain, rootNamespace: options.rootNamespace }, proxy });
    for (const line of warnings) lines.add(line);
  }
  return [...lines].map((line) => toFinding(line, others, meshes[0]));
}

/** `VirtualService default/reviews: spec.http[0].route: message` → a finding on that field. */
function toFinding(line: string, resources: readonly Located[], mesh: Located): Finding {
  const m = /^(\w+) ([^/\s]+)\/(\S+): (\S+): (.*)$/.exec(line);
  const loc = m ? resources.find((l) => sameResource(l.resource, m[1], m[2], m[3])) : undefined;
  if (m && loc) return findingAt(loc, parsePath(m[4]), 'warning', m[5]);
  // About no one resource (a route table, a sidecar): it belongs to the mesh as a whole.
  return findingAt(mesh, [], 'warning', line);
}

function sameResource(r: Resource, kind: string, namespace: string, name: string): boolean {
  return r.kind === kind && r.metadata.namespace === namespace && r.metadata.name === name;
}
