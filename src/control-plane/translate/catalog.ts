// The services a proxy can reach, whatever declared them: the registry's services, and the hosts
// of ServiceEntries exported to the proxy's namespace. Everything downstream (virtual hosts,
// clusters, DestinationRules) works on this one list.
import type { ServiceEntry } from '../../api/service-entry.js';
import type { RegistrySnapshot, Service, ServiceProtocol } from '../registry/types.js';
import { compare } from './order.js';
import type { Aged } from './resources.js';
import { isVisible } from './visibility.js';
import type { Warnings } from './warnings.js';

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

export function buildCatalog(registry: RegistrySnapshot, entries: readonly Aged<ServiceEntry>[], proxyNamespace: string, warnings: Warnings): Catalog {
  const byFqdn = new Map<string, CatalogService>();
  for (const service of registry.services) {
    const hostnames = service.hostnames.map((h) => h.toLowerCase());
    byFqdn.set(hostnames[hostnames.length - 1], {
      fqdn: hostnames[hostnames.length - 1],
      namespace: service.namespace,
      hostnames,
      ports: service.ports.map((p) => clean({ port: p.port, name: p.name, kind: registryKind(p.protocol) })),
      source: { kind: 'registry', service },
    });
  }
  for (const { resource: entry } of entries) {
    if (!isVisible(entry.spec.exportTo, entry.metadata.namespace, proxyNamespace)) continue;
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
