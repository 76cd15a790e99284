// Endpoints of a service port: where a proxy sends the traffic of a cluster.
//
// - Registry services: each workload's sidecar inbound listener (address:inboundPort), never the
//   app port, so every hop goes through the destination's sidecar. Labels travel along so subsets
//   (DestinationRule) can select them.
// - ServiceEntry: its endpoints as given (STATIC, or names for DNS); workloads it selects by
//   label (MESH_INTERNAL) like registry workloads; without endpoints, DNS and NONE resolution
//   send to the host itself. NONE means "the original destination" in Istio; behind an HTTP
//   proxy setting the original destination *is* the host name, so both resolve it by DNS.
import type { Endpoint } from '../../model/snapshot.js';
import type { RegistrySnapshot, Workload } from '../registry/types.js';
import type { CatalogPort, CatalogService } from './catalog.js';
import { isWildcard } from './hosts.js';
import { selects } from './visibility.js';
import type { Warnings } from './warnings.js';

// Registry snapshots are immutable and shared by every proxy's translation, so the index is built
// once per snapshot rather than once per cluster (a linear scan per cluster is quadratic at scale).
const byService = new WeakMap<RegistrySnapshot, Map<string, Workload[]>>();

function workloadsOf(registry: RegistrySnapshot, namespace: string, name: string): readonly Workload[] {
  let index = byService.get(registry);
  if (index === undefined) {
    index = new Map();
    for (const w of registry.workloads) {
      const key = `${w.namespace}/${w.service}`;
      const list = index.get(key);
      if (list === undefined) index.set(key, [w]);
      else list.push(w);
    }
    byService.set(registry, index);
  }
  return index.get(`${namespace}/${name}`) ?? [];
}

/**
 * The sidecars behind a service's endpoints, or undefined when its endpoints are not sidecars
 * (a ServiceEntry's addresses or DNS names). Same order as serviceEndpoints.
 */
export function serviceWorkloads(registry: RegistrySnapshot, service: CatalogService): readonly Workload[] | undefined {
  const source = service.source;
  if (source.kind === 'registry') return workloadsOf(registry, source.service.namespace, source.service.name);
  const entry = source.entry;
  const selector = entry.spec.workloadSelector;
  if (selector === undefined) return undefined;
  return registry.workloads.filter((w) => w.namespace === entry.metadata.namespace && selects(selector.labels, w.labels));
}

export function serviceEndpoints(registry: RegistrySnapshot, service: CatalogService, port: CatalogPort, warnings: Warnings): Endpoint[] {
  const workloads = serviceWorkloads(registry, service);
  if (workloads !== undefined) return workloads.map(workloadEndpoint);
  // Not sidecars, so a ServiceEntry with addresses or names.
  if (service.source.kind !== 'service-entry') return [];
  const entry = service.source.entry;
  const targetPort = port.targetPort ?? port.port;
  if (entry.spec.endpoints !== undefined && entry.spec.endpoints.length > 0) {
    const out: Endpoint[] = [];
    entry.spec.endpoints.forEach((ep, i) => {
      const where = `spec.endpoints[${i}]`;
      if (ep.address === undefined || ep.address === '') {
        warnings.at(entry, where, 'has no address; skipped');
        return;
      }
      if (ep.address.startsWith('unix://')) {
        warnings.at(entry, `${where}.address`, 'unix domain sockets are not supported; endpoint skipped');
        return;
      }
      const named = port.name !== undefined ? ep.ports?.[port.name] : undefined;
      out.push(
        endpoint({
          address: ep.address,
          port: named ?? targetPort,
          weight: ep.weight !== undefined && ep.weight > 0 ? ep.weight : undefined,
          labels: ep.labels && Object.keys(ep.labels).length > 0 ? sortedLabels(ep.labels) : undefined,
          locality: ep.locality,
        }),
      );
    });
    return out;
  }
  const resolution = entry.spec.resolution ?? 'NONE';
  if (resolution === 'STATIC') return [];
  if (isWildcard(service.fqdn)) {
    warnings.at(entry, 'spec.hosts', `wildcard host ${service.fqdn} with resolution ${resolution} has no name to resolve; give endpoints, or requests to it fail with 503`);
    return [];
  }
  return [{ address: service.fqdn, port: targetPort }];
}

function workloadEndpoint(w: Workload): Endpoint {
  return endpoint({
    address: w.address,
    port: w.inboundPort,
    labels: sortedLabels(w.labels),
    locality: w.locality,
    // Only the exception is written: the proxy takes an endpoint as healthy by default.
    healthy: w.healthy ? undefined : false,
  });
}

function endpoint(e: { [K in keyof Endpoint]: Endpoint[K] | undefined }): Endpoint {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as Endpoint;
}

function sortedLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
