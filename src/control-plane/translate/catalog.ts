// The services a proxy can reach, whatever declared them: the registry's services, and the hosts
// of ServiceEntries exported to the proxy's namespace. Everything downstream (virtual hosts,
// clusters, DestinationRules) works on this one list.
import type { ServiceEntry } from '../../api/service-entry.js';
import type { RegistrySnapshot, Service, ServiceProtocol } from '../registry/types.js';
import { compare } from './order.js';
import type { Aged } from './resources.js';
import { isVisible } from './visibility.js';
import { Warnings } from './warnings.js';

/**
 * How the proxy speaks on a port: http (HTTP/1), http2 (HTTP/2 or gRPC), tcp (opaque, not
 * routed by the HTTP outbound listener) or detect (undeclared: sniffed, sent upstream as HTTP/1).
 */
export type PortKind = 'http' | 'http2' | 'tcp' | 'detect';

export interface CatalogPort {
  readonly port: number;
  readonly name?: string;
  readonly kind: PortKind;
  /** ServiceEntry: the port on the endpoints, when it differs. */
  readonly targetPort?: number;
}

export type CatalogSource =
  | { readonly kind: 'registry'; readonly service: Service }
  | { readonly kind: 'service-entry'; readonly entry: ServiceEntry };

export interface CatalogService {
  /** The name that identifies it: `name.ns.svc.cluster.local`, or the ServiceEntry host. */
  readonly fqdn: string;
  readonly namespace: string;
  /** Every name that refers to it, shortest first (the last is the fqdn). */
  readonly hostnames: readonly string[];
  /** Sorted by port. */
  readonly ports: readonly CatalogPort[];
  readonly source: CatalogSource;
}

export class Catalog {
  private readonly byName = new Map<string, CatalogService>();

  /** @param services sorted by fqdn */
  constructor(readonly services: readonly CatalogService[]) {
    for (const s of services) for (const h of s.hostnames) if (!this.byName.has(h)) this.byName.set(h, s);
  }

  /** The service a (resolved, non-wildcard) host names, by any of its names. */
  lookup(host: string): CatalogService | undefined {
    return this.byName.get(host.toLowerCase());
  }
}

// Registry snapshots are immutable and shared by every proxy's translation: the registry's part of
// the catalog is built once per snapshot, and a whole catalog once per set of visible
// ServiceEntries (most namespaces see the same ones), so a control plane translating for every
// namespace does not rebuild 1,000 services' names per namespace. The CatalogService objects of a
// registry snapshot are therefore shared by all its catalogs, which lets later steps (domains of
// sidecar-outbound.ts) cache by service.
interface RegistryCatalogs {
  readonly services: readonly CatalogService[];
  /** Recently built catalogs, by the visible ServiceEntries (identity, age order); most recent last. */
  readonly recent: { readonly entries: readonly ServiceEntry[]; readonly catalog: Catalog; readonly warnings: readonly string[] }[];
}
const byRegistry = new WeakMap<RegistrySnapshot, RegistryCatalogs>();
/** Catalogs kept per registry snapshot: one per distinct set of visible ServiceEntries in use. */
const MAX_CATALOGS = 64;

export function buildCatalog(registry: RegistrySnapshot, entries: readonly Aged<ServiceEntry>[], proxyNamespace: string, warnings: Warnings): Catalog {
  let known = byRegistry.get(registry);
  if (known === undefined) byRegistry.set(registry, (known = { services: registry.services.map(registryService), recent: [] }));
  const visible = entries.filter(({ resource: e }) => isVisible(e.spec.exportTo, e.metadata.namespace, proxyNamespace)).map(({ resource }) => resource);
  const i = known.recent.findIndex((c) => c.entries.length === visible.length && c.entries.every((e, k) => e === visible[k]));
  if (i >= 0) {
    const hit = known.recent[i];
    known.recent.splice(i, 1);
    known.recent.push(hit);
    for (const line of hit.warnings) warnings.add(line);
    return hit.catalog;
  }
  const own = new Warnings();
  const catalog = catalogOf(known.services, visible, own);
  const lines = own.list();
  known.recent.push({ entries: visible, catalog, warnings: lines });
  if (known.recent.length > MAX_CATALOGS) known.recent.shift();
  for (const line of lines) warnings.add(line);
  return catalog;
}

function registryService(service: Service): CatalogService {
  const hostnames = service.hostnames.map((h) => h.toLowerCase());
  return {
    fqdn: hostnames[hostnames.length - 1],
    namespace: service.namespace,
    hostnames,
    ports: service.ports.map((p) => clean({ port: p.port, name: p.name, kind: registryKind(p.protocol) })),
    source: { kind: 'registry', service },
  };
}

/** The catalog from the registry's services and the ServiceEntries visible (oldest first). */
function catalogOf(registryServices: readonly CatalogService[], entries: readonly ServiceEntry[], warnings: Warnings): Catalog {
  const byFqdn = new Map<string, CatalogService>();
  for (const service of registryServices) byFqdn.set(service.fqdn, service);
  for (const entry of entries) {
    entry.spec.hosts.forEach((raw, i) => {
      const host = raw.toLowerCase();
      const taken = byFqdn.get(host);
      if (taken) {
        const by = taken.source.kind === 'registry' ? 'a service of the registry' : `ServiceEntry ${taken.source.entry.metadata.namespace}/${taken.source.entry.metadata.name} (older)`;
        warnings.at(entry, `spec.hosts[${i}]`, `host ${host} is already defined by ${by}; this entry is ignored for it`);
        return;
      }
      byFqdn.set(host, {
        fqdn: host,
        namespace: entry.metadata.namespace,
        hostnames: [host],
        ports: (entry.spec.ports ?? [])
          .map((p) => clean({ port: p.number, name: p.name, kind: istioKind(p.protocol), targetPort: p.targetPort }))
          .sort((a, b) => a.port - b.port),
        source: { kind: 'service-entry', entry },
      });
    });
  }
  return new Catalog([...byFqdn.values()].sort((a, b) => compare(a.fqdn, b.fqdn)));
}

function registryKind(p: ServiceProtocol | undefined): PortKind {
  if (p === undefined) return 'detect';
  return p === 'grpc' ? 'http2' : p;
}

/** Istio port protocols: HTTPS and TLS are encrypted end to end by the app, so opaque to us. */
function istioKind(protocol: string): PortKind {
  switch (protocol.toUpperCase()) {
    case 'HTTP':
    case 'GRPC-WEB':
      return 'http';
    case 'HTTP2':
    case 'GRPC':
      return 'http2';
    default:
      return 'tcp';
  }
}

function clean<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
