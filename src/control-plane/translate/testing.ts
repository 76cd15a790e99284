// Test helpers: a bookinfo-like registry, proxy nodes, and the testdata folder (found from the
// repository root, so tests find it whether they run from src/ with tsx or from dist/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Resource } from '../../api/kinds.js';
import { parseResources } from '../../api/load.js';
import { MemoryRegistry } from '../registry/memory.js';
import type { RegistrySnapshot } from '../registry/types.js';
import type { GatewayNode, MeshSettings, SidecarNode } from './types.js';

export const MESH: MeshSettings = { trustDomain: 'cluster.local', rootNamespace: 'istio-system' };

export function testdataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the test file');
    dir = parent;
  }
  return join(dir, 'src', 'control-plane', 'translate', 'testdata');
}

export function loadResources(file: string): Resource[] {
  const path = join(testdataDir(), file);
  return parseResources(readFileSync(path, 'utf8'), file);
}

interface W {
  id: string;
  service: string;
  version?: string;
  namespace?: string;
}

/**
 * Istio's bookinfo (productpage, details, reviews v1–v3, ratings) plus httpbin for the circuit
 * breaker task, echo services for GAMMA splits, and a service in namespace `other`. Ports are
 * local-mode style: every sidecar on 127.0.0.1 with its own inbound port.
 */
export function meshRegistry(): RegistrySnapshot {
  const r = new MemoryRegistry();
  for (const name of ['productpage', 'details', 'reviews', 'ratings']) r.upsertService({ name, ports: [{ port: 9080, name: 'http', protocol: 'http' }] });
  r.upsertService({ name: 'httpbin', ports: [{ port: 8000, name: 'http', protocol: 'http' }] });
  r.upsertService({ name: 'echo', ports: [{ port: 8080, name: 'http' }] });
  r.upsertService({ name: 'echo-v1', ports: [{ port: 8080, name: 'http' }] });
  r.upsertService({ name: 'echo-v2', ports: [{ port: 8080, name: 'http' }] });
  r.upsertService({ name: 'greeter', ports: [{ port: 50051, name: 'grpc', protocol: 'grpc' }] });
  r.upsertService({ name: 'ledger', namespace: 'other', ports: [{ port: 80, name: 'http', protocol: 'http' }, { port: 9090, name: 'admin', protocol: 'http' }] });
  const workloads: W[] = [
    { id: 'productpage-v1-0', service: 'productpage', version: 'v1' },
    { id: 'details-v1-0', service: 'details', version: 'v1' },
    { id: 'reviews-v1-0', service: 'reviews', version: 'v1' },
    { id: 'reviews-v2-0', service: 'reviews', version: 'v2' },
    { id: 'reviews-v3-0', service: 'reviews', version: 'v3' },
    { id: 'ratings-v1-0', service: 'ratings', version: 'v1' },
    { id: 'httpbin-v1-0', service: 'httpbin', version: 'v1' },
    { id: 'echo-v1-0', service: 'echo-v1', version: 'v1' },
    { id: 'echo-v2-0', service: 'echo-v2', version: 'v2' },
    { id: 'greeter-v1-0', service: 'greeter', version: 'v1' },
    { id: 'ledger-v1-0', service: 'ledger', version: 'v1', namespace: 'other' },
  ];
  workloads.forEach((w, i) => {
    r.registerWorkload({
      id: w.id,
      service: w.service,
      namespace: w.namespace,
      labels: w.version ? { version: w.version } : {},
      address: '127.0.0.1',
      inboundPort: 15106 + i * 100,
      appPort: 9081 + i,
      locality: 'local/zone-a',
    });
  });
  return r.list();
}

/** The sidecar of a workload of meshRegistry(), with the ports its registration says. */
export function sidecarOf(registry: RegistrySnapshot, id: string): SidecarNode {
  const w = registry.workloads.find((x) => x.id === id);
  if (!w) throw new Error(`no workload ${id}`);
  return { kind: 'sidecar', workloadId: id, namespace: w.namespace, labels: w.labels, ports: { outbound: w.inboundPort - 105, inbound: w.inboundPort } };
}

export function ingressGateway(namespace = 'istio-system'): GatewayNode {
  return { kind: 'gateway', name: 'istio-ingressgateway', namespace, labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' } };
}
