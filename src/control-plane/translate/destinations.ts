// A destination as a resource writes it (host, subset, port) → the name of a cluster of the
// snapshot. Shared by VirtualService routes and mirrors, and by Gateway API backends.
import type { Resource } from '../../api/kinds.js';
import type { Context } from './context.js';
import { resolveHost } from './hosts.js';

/** The resource and field a destination was written in, for warnings. */
export interface Where {
  readonly resource: Resource;
  readonly path: string;
}

export interface DestinationRef {
  readonly host: string;
  readonly subset?: string;
  readonly port?: number;
}

/**
 * The cluster for a destination. The port is, as in Istio: the one written; else the service's
 * only port; else the port the request came in on (`contextPort`: the service port of the
 * virtual host). Never fails: a host or subset nothing defines gets an empty cluster (503 for
 * that share of traffic, as Istio answers) and a warning.
 * @param fromNamespace namespace of the resource, against which short host names resolve
 */
export function destinationCluster(
  ctx: Context,
  dest: DestinationRef,
  fromNamespace: string,
  contextPort: number | undefined,
  where: Where,
  http2 = false,
  consequence = 'requests routed there fail with 503',
): string {
  const host = resolveHost(dest.host, fromNamespace);
  const subset = dest.subset === undefined || dest.subset === '' ? undefined : dest.subset;
  // A wildcard host names a service only when a ServiceEntry declares exactly that wildcard.
  const service = ctx.catalog.lookup(host);
  if (service === undefined) {
    ctx.warnings.at(where.resource, `${where.path}.host`, `${host} is not a service this proxy can see (registry or exported ServiceEntry); ${consequence}`);
    return ctx.clusters.missing(host, dest.port ?? contextPort ?? 80, subset);
  }
  const ports = service.ports.map((p) => p.port);
  let port = dest.port;
  if (port !== undefined) {
    if (!ports.includes(port)) ctx.warnings.at(where.resource, `${where.path}.port`, `${service.fqdn} has no port ${port} (ports: ${ports.join(', ') || 'none'})`);
  } else if (ports.length === 1) {
    port = ports[0];
  } else if (contextPort !== undefined && ports.includes(contextPort)) {
    port = contextPort;
  } else {
    port = ports[0] ?? contextPort ?? 80;
    if (ports.length > 1) ctx.warnings.at(where.resource, where.path, `${service.fqdn} has several ports (${ports.join(', ')}); port ${port} is used: set the port`);
  }
  if (subset !== undefined && !ctx.rules.forService(service)?.subsets.has(subset)) {
    ctx.warnings.at(
      where.resource,
      `${where.path}.subset`,
      `subset "${subset}" is not defined by any DestinationRule for ${service.fqdn} that this proxy can see; ${consequence}`,
    );
  }
  return ctx.clusters.outbound(service, port, subset, http2);
}
