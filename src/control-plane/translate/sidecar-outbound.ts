// A sidecar's outbound route table: one virtual host per port of every service its namespace can
// see (registry services and exported ServiceEntries), found by the names callers use.
//
// Routes of a virtual host come from, in order of precedence:
//   1. Gateway API routes whose parent is that service (GAMMA), when there are any;
//   2. else the VirtualService for the host: bound to "mesh", exported to the proxy's namespace,
//      the most specific host (a name over `*.ns.svc.cluster.local` over `*`), then the most
//      private (exported to "." over by name over "*"), then the oldest. Sidecars use one
//      VirtualService per host, as in Istio (which merges several only for gateways); the
//      others are reported;
//   3. else (or when that VirtualService has no route for this proxy and port) the default
//      route: the whole service, with Istio's default retries.
// VirtualService hosts that name no service get a virtual host of their own (aliases such as
// `reviews.example.com` routed to a service, as Istio allows).
import type { VirtualService } from '../../api/virtual-service.js';
import type { Listener, Route, RouteConfig, VirtualHost } from '../../model/snapshot.js';
import type { Catalog, CatalogPort, CatalogService } from './catalog.js';
import type { Context } from './context.js';
import { DomainClaims, domainKey } from './domains.js';
import { gammaRoutesFor } from './gamma.js';
import { gatewayApiRoutes } from './gateway-api-routes.js';
import { hostCovers, hostSpecificity, isWildcard, resolveHost } from './hosts.js';
import { virtualServiceRoutes, type RouteScope } from './istio-routes.js';
import { defaultRetry } from './retries.js';
import type { SidecarNode } from './types.js';
import { boundGateways, exportRank } from './visibility.js';
import { describe } from './warnings.js';

export const OUTBOUND_ROUTE_CONFIG = 'outbound';

interface Candidate {
  readonly vs: VirtualService;
  /** Resolved hosts, in the order written. */
  readonly hosts: readonly string[];
  readonly rank: number;
}

const MESH: ReadonlySet<string> = new Set(['mesh']);

/** Where the sidecar's app sends its outbound traffic (HTTP_PROXY, or iptables in netns mode). */
export function outboundListener(node: SidecarNode): Listener {
  return { name: 'outbound', address: '127.0.0.1', port: node.ports.outbound, direction: 'outbound', protocol: 'detect', routeConfig: OUTBOUND_ROUTE_CONFIG };
}

export function outboundRouteConfig(ctx: Context, node: SidecarNode): RouteConfig {
  const virtualHosts: VirtualHost[] = [];
  for (const h of outboundVirtualHosts(ctx, node, () => true)) if (h.host !== undefined) virtualHosts.push(h.host);
  return { name: OUTBOUND_ROUTE_CONFIG, virtualHosts };
}

/** A virtual host of the outbound table as outboundVirtualHosts gives it. */
export interface OutboundVirtualHost {
  readonly name: string;
  /** undefined: not computed (the caller holds it from an earlier run). */
  readonly host: VirtualHost | undefined;
  /** The clusters its routes asked for (name → http2); empty when not computed. */
  readonly clusters: Map<string, boolean>;
  /** Its domains: for a service's, the same array as long as the catalog and namespace are. */
  readonly domains: readonly string[];
  readonly service?: CatalogService;
}

/**
 * Decides whether a service's virtual host is computed, knowing its name and domains (which the
 * caller compares with its earlier run's).
 */
export type ComputeHost = (service: CatalogService, name: string, domains: readonly string[]) => boolean;

/**
 * The outbound table's virtual hosts in order, each with the clusters its routes asked for
 * (name → http2). `compute` false: the service's virtual host is named only (`host`
 * undefined), its routes not computed, for a caller that holds it from an earlier run
 * (cache/snapshot-cache.ts). Alias hosts are always computed (few).
 */
export function outboundVirtualHosts(ctx: Context, node: SidecarNode, compute: ComputeHost): OutboundVirtualHost[] {
  const candidates: Candidate[] = ctx.index.virtualServices
    .map(({ resource: vs }) => ({ vs, rank: exportRank(vs.spec.exportTo, vs.metadata.namespace, node.namespace) }))
    .filter((c): c is { vs: VirtualService; rank: 0 | 1 | 2 } => c.rank !== undefined && boundGateways(c.vs.spec.gateways, c.vs.metadata.namespace).includes('mesh'))
    // Stable sort: equal ranks keep input (age) order.
    .sort((a, b) => a.rank - b.rank)
    .map(({ vs, rank }) => ({ vs, rank, hosts: (vs.spec.hosts ?? []).map((h) => resolveHost(h, vs.metadata.namespace)) }));

  const hosts = indexHosts(candidates);
  const slots = serviceSlots(ctx.catalog, node.namespace);
  const out: OutboundVirtualHost[] = [];
  const computed = (name: string, domains: readonly string[], routes: () => Route[], service?: CatalogService) => {
    const clusters = new Map<string, boolean>();
    const outer = ctx.clusters.onRequest;
    ctx.clusters.onRequest = (cluster, http2) => {
      clusters.set(cluster, (clusters.get(cluster) ?? false) || http2);
      outer?.(cluster, http2);
    };
    try {
      out.push({ name, host: { name, domains: [...domains], routes: routes() }, clusters, domains, ...(service ? { service } : {}) });
    } finally {
      ctx.clusters.onRequest = outer;
    }
  };
  for (const slot of slots.slots) {
    // The claims' warnings where a fresh claim would have made them: warnings keep their order.
    for (const line of slot.warnings) ctx.warnings.add(line);
    const { service, port, name, domains } = slot;
    if (domains.length === 0) continue;
    if (compute(service, name, domains)) computed(name, domains, () => serviceRoutes(ctx, hosts, service, port), service);
    else out.push({ name, host: undefined, clusters: new Map(), domains, service });
  }
  const claims = new DomainClaims(OUTBOUND_ROUTE_CONFIG, ctx.warnings, slots.owners);
  for (const alias of aliasHosts(ctx, candidates)) {
    const domains = claims.claim(alias.host, [alias.host]);
    if (domains.length === 0) continue;
    computed(alias.host, domains, () => virtualServiceRoutes(ctx, alias.vs, { port: undefined, gateways: MESH }));
  }
  return out;
}

/** A service port's place in the outbound table: its virtual host's name and the domains it won. */
interface ServiceSlot {
  readonly service: CatalogService;
  readonly port: CatalogPort;
  readonly name: string;
  readonly domains: readonly string[];
  /** What claiming its domains reported (a domain another virtual host already has). */
  readonly warnings: readonly string[];
}

interface ServiceSlots {
  readonly slots: readonly ServiceSlot[];
  /** Domain key → virtual host, after every service claimed its domains. */
  readonly owners: ReadonlyMap<string, string>;
}

// The services' virtual host names and domains depend on the catalog and the proxy's namespace
// only, and a catalog is shared while the registry and the visible ServiceEntries are
// (catalog.ts): computed once per catalog and namespace, not once per translation.
const slotsByCatalog = new WeakMap<Catalog, Map<string, ServiceSlots>>();

function serviceSlots(catalog: Catalog, namespace: string): ServiceSlots {
  let byNamespace = slotsByCatalog.get(catalog);
  if (byNamespace === undefined) slotsByCatalog.set(catalog, (byNamespace = new Map()));
  const known = byNamespace.get(namespace);
  if (known !== undefined) return known;
  let lines: string[] = [];
  const claims = new DomainClaims(OUTBOUND_ROUTE_CONFIG, { add: (line) => lines.push(line) });
  const slots: ServiceSlot[] = [];
  for (const service of catalog.services) {
    for (const { port, name, domains, keys } of portDomains(service, namespace)) {
      lines = [];
      slots.push({ service, port, name, domains: claims.claim(name, domains, keys), warnings: lines });
    }
  }
  const result = { slots, owners: claims.claimed() };
  byNamespace.set(namespace, result);
  return result;
}

/** Per service (shared by the catalogs of one registry snapshot): its routed ports' names and domains, seen from its own namespace or another. */
const domainsByService = new WeakMap<CatalogService, { own?: PortDomains[]; foreign?: PortDomains[] }>();
interface PortDomains {
  readonly port: CatalogPort;
  readonly name: string;
  readonly domains: readonly string[];
  /** domainKey() of each. */
  readonly keys: readonly string[];
}

function portDomains(service: CatalogService, proxyNamespace: string): readonly PortDomains[] {
  let known = domainsByService.get(service);
  if (known === undefined) domainsByService.set(service, (known = {}));
  const side = service.namespace === proxyNamespace ? 'own' : 'foreign';
  const cached = known[side];
  if (cached !== undefined) return cached;
  const ports = service.ports.filter((p) => p.kind !== 'tcp');
  const portless = ports.find((p) => p.port === 80) ?? ports[0];
  const list = ports.map((port) => {
    const domains = serviceDomains(service, port.port, port === portless, proxyNamespace);
    return { port, name: `${service.fqdn}:${port.port}`, domains, keys: domains.map(domainKey) };
  });
  known[side] = list;
  return list;
}

/**
 * `reviews:9080`, `reviews.default:9080`, … and, for the port that answers a host written
 * without one (80, else the first), the names alone. The short name only in the service's own
 * namespace, where it resolves (as in Istio).
 */
function serviceDomains(service: CatalogService, port: number, portless: boolean, proxyNamespace: string): string[] {
  const names = service.source.kind === 'registry' && service.namespace !== proxyNamespace ? service.hostnames.filter((h) => h.includes('.')) : service.hostnames;
  return names.flatMap((h) => (portless ? [h, `${h}:${port}`] : [`${h}:${port}`]));
}

function serviceRoutes(ctx: Context, hosts: HostIndex, service: CatalogService, port: CatalogPort): Route[] {
  const scope: RouteScope = { port: port.port, gateways: MESH };
  const gamma = gammaRoutesFor(ctx, service, port);
  const vs = chooseVirtualService(ctx, hosts, service);
  if (gamma.length > 0) {
    if (vs !== undefined) {
      ctx.warnings.at(vs, 'spec.hosts', `${service.fqdn}:${port.port} is also the parent of ${describe(gamma[0].route)}; Gateway API routes take precedence, so this VirtualService is ignored for it`);
    }
    return gatewayApiRoutes(ctx, gamma);
  }
  if (vs !== undefined) {
    // Istio: a VirtualService that yields no route for this proxy and port (no http rules, every
    // entry for other ports or other sources) does not claim the service; the default applies.
    const routes = virtualServiceRoutes(ctx, vs, scope);
    if (routes.length > 0) return routes;
  }
  const cluster = ctx.clusters.outbound(service, port.port, undefined);
  return [{ name: 'default', forward: { destinations: [{ cluster }], retry: defaultRetry() } }];
}

/** Candidates by the hosts they name: exact hosts in a map, wildcards in a list (few). */
interface HostIndex {
  readonly exact: Map<string, { c: Candidate; index: number; order: number }[]>;
  readonly wildcards: { c: Candidate; host: string; index: number; order: number }[];
}

function indexHosts(candidates: readonly Candidate[]): HostIndex {
  const index: HostIndex = { exact: new Map(), wildcards: [] };
  candidates.forEach((c, order) =>
    c.hosts.forEach((host, i) => {
      if (isWildcard(host)) index.wildcards.push({ c, host, index: i, order });
      else index.exact.set(host, [...(index.exact.get(host) ?? []), { c, index: i, order }]);
    }),
  );
  return index;
}

function chooseVirtualService(ctx: Context, hosts: HostIndex, service: CatalogService): VirtualService | undefined {
  // Every (candidate, host) naming the service, with the host's specificity.
  const matches = [
    ...service.hostnames.flatMap((h) => (hosts.exact.get(h) ?? []).map((m) => ({ ...m, specificity: hostSpecificity(h) }))),
    ...hosts.wildcards.filter((w) => hostCovers(w.host, service.fqdn)).map((w) => ({ ...w, specificity: hostSpecificity(w.host) })),
  ];
  if (matches.length === 0) return undefined;
  // Most specific host first, then candidate order (rank, then age).
  matches.sort((a, b) => b.specificity - a.specificity || a.order - b.order);
  const best = matches[0];
  const reported = new Set<Candidate>([best.c]);
  for (const m of matches) {
    if (reported.has(m.c) || m.specificity !== best.specificity || m.c.rank !== best.c.rank) continue;
    reported.add(m.c);
    ctx.warnings.at(
      m.c.vs,
      `spec.hosts[${m.index}]`,
      `${service.fqdn} is also routed by ${describe(best.c.vs)} (older); sidecars apply one VirtualService per host (Istio merges them only for gateways), so this one is ignored for it`,
    );
  }
  return best.c.vs;
}

/** VirtualService hosts that are no service's name, each with the VirtualService that wins it. */
function aliasHosts(ctx: Context, candidates: readonly Candidate[]): { host: string; vs: VirtualService }[] {
  const owners = new Map<string, Candidate>();
  for (const c of candidates) {
    c.hosts.forEach((host, i) => {
      if (ctx.catalog.lookup(host) !== undefined) return;
      const owner = owners.get(host);
      if (owner === undefined) owners.set(host, c);
      else if (owner !== c && owner.rank === c.rank) {
        ctx.warnings.at(c.vs, `spec.hosts[${i}]`, `${host} is also routed by ${describe(owner.vs)} (older); sidecars apply one VirtualService per host, so this one is ignored for it`);
      }
    });
  }
  return [...owners.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([host, c]) => ({ host, vs: c.vs }));
}
