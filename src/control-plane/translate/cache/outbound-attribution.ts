// What a change of the resources a namespace sees can change in its outbound part, so the
// snapshot cache recomputes only that and reuses the JSON of every other virtual host and cluster
// (snapshot-cache.ts). 'all' when the change cannot be attributed.
//
// Why the attribution is sound. The unchanged resources must keep their relative order (ages
// settle conflicts); a reordering gives 'all'. The registry is not part of the diff: the cache
// compares it by identity first and recomputes everything when it changed. Each resource added or
// removed (a replaced one counts with both versions, so narrowing or widening its exportTo, its
// hosts or its parents counts on both sides) is attributed by kind, from what the outbound part
// (translate/sidecar-outbound.ts and what it calls) reads:
//   - A service's virtual host: its routes come from the Gateway API routes whose parent is that
//     service (gamma.ts, keyed by the Service), else the VirtualService chosen among the
//     candidates naming one of its hostnames exactly or covering its fqdn with a wildcard
//     (chooseVirtualService); ranks and ages are compared within that set only. So a
//     VirtualService concerns the services its hosts name or cover (`routes`), an HTTPRoute or
//     GRPCRoute the services its Service parentRefs name (`parents`). The routes read no other
//     VirtualService (delegate is not supported), and name clusters, never another host's routes.
//   - DestinationRules are read only through DestinationRules.forService(S) (destination-rules.ts),
//     which looks at the rules whose host names one of S's hostnames or covers its fqdn; every
//     precedence rule (namespace tiers, selector, host specificity, age, merging) applies within
//     that set, and a workloadSelector decides only whether a rule joins it (the class key holds
//     the labels its keys name). forService is read by a cluster's build (clusters.ts: policy,
//     subset labels, TLS) and by destinationCluster, only to warn that a subset is not defined;
//     a cluster's name never depends on it. So a DestinationRule concerns the clusters of the
//     services its host names or covers (`clusters`), and the virtual hosts naming a subset
//     cluster of those (`subsetReferrers`), for that warning.
//   - A ServiceEntry adds catalog services for its hosts (catalog.ts: one service per host, named
//     by that host only; an older entry or a registry service keeps a host taken). So it concerns
//     the services named by its hosts (`routes`, `clusters`: their virtual hosts and clusters, new
//     or gone) and the virtual hosts with a route to one of those hosts (`destinations`: a cluster
//     name ends with the host its destination resolved to, and that resolution may change). A host
//     that is also a name of a registry service (shadowing a short name in lookups) gives 'all'.
//     Domains and alias hosts are checked by the cache itself (see snapshot-cache.ts).
//   - A PeerAuthentication is read on the outbound side only by mesh-tls.ts, for the mTLS of a
//     cluster from the modes of its workloads: `peers` says the cache must work out which
//     clusters (peer-attribution.ts).
//   - Gateway, AuthorizationPolicy, RequestAuthentication and Mesh are not read by a sidecar's
//     outbound part (Gateways concern gateway proxies, the others the security layer and the
//     registry). Any other kind gives 'all'.
// Alias virtual hosts (VirtualService hosts that name no service) are few and always recomputed.
// outbound-update.test.ts compares the result with translate() along random sequences of changes
// of every kind.
import type { Resource } from '../../../api/kinds.js';
import { isServiceParent } from '../gamma.js';
import type { CatalogService } from '../catalog.js';
import { hostCovers, isWildcard, resolveHost } from '../hosts.js';

/** Hosts and wildcard patterns; a service matches when one of its hostnames is one of them or is covered. */
export class HostSet {
  readonly exact = new Set<string>();
  readonly patterns: string[] = [];

  add(host: string): void {
    if (isWildcard(host)) {
      if (!this.patterns.includes(host)) this.patterns.push(host);
    } else this.exact.add(host);
  }

  get empty(): boolean {
    return this.exact.size === 0 && this.patterns.length === 0;
  }

  matches(hostnames: readonly string[]): boolean {
    return hostnames.some((h) => this.exact.has(h) || this.patterns.some((p) => hostCovers(p, h)));
  }
}

/** What a change concerns in a namespace's outbound part. */
export interface OutboundChange {
  /** Services whose virtual hosts may differ (VirtualService hosts, ServiceEntry hosts). */
  readonly routes: HostSet;
  /** Registry services (`namespace/name`) whose Gateway API routes changed. */
  readonly parents: ReadonlySet<string>;
  /** Services whose clusters' content may differ (DestinationRule hosts, ServiceEntry hosts). */
  readonly clusters: HostSet;
  /** Services whose subset clusters make the virtual hosts naming them differ (DestinationRule hosts). */
  readonly subsetReferrers: HostSet;
  /** Hosts a destination may now resolve differently: virtual hosts with a cluster ending in one differ. */
  readonly destinations: ReadonlySet<string>;
  /** A PeerAuthentication changed: clusters' mTLS may differ (the cache works out which). */
  readonly peers: boolean;
}

/**
 * What may differ between the two visible lists, or 'all'.
 * @param isRegistryHostname whether a host is a name of a registry service
 */
export function outboundChange(before: readonly Resource[], after: readonly Resource[], isRegistryHostname: (host: string) => boolean): OutboundChange | 'all' {
  const old = new Set(before);
  const now = new Set(after);
  const removed = before.filter((r) => !now.has(r));
  const added = after.filter((r) => !old.has(r));
  // The unchanged resources must keep their relative order (ages decide conflicts).
  const keptBefore = before.filter((r) => now.has(r));
  const keptAfter = after.filter((r) => old.has(r));
  if (keptBefore.length !== keptAfter.length || keptBefore.some((r, i) => r !== keptAfter[i])) return 'all';

  const change = { routes: new HostSet(), parents: new Set<string>(), clusters: new HostSet(), subsetReferrers: new HostSet(), destinations: new Set<string>(), peers: false };
  for (const r of [...removed, ...added]) {
    switch (r.kind) {
      case 'VirtualService':
        for (const h of r.spec.hosts ?? []) change.routes.add(resolveHost(h, r.metadata.namespace));
        break;
      case 'DestinationRule': {
        const host = resolveHost(r.spec.host, r.metadata.namespace);
        change.clusters.add(host);
        change.subsetReferrers.add(host);
        break;
      }
      case 'ServiceEntry':
        for (const raw of r.spec.hosts) {
          const host = raw.toLowerCase();
          if (isRegistryHostname(host)) return 'all';
          // Exact: the catalog names the entry's service by the host as written, wildcard or not.
          change.routes.exact.add(host);
          change.clusters.exact.add(host);
          change.destinations.add(host);
        }
        break;
      case 'HTTPRoute':
      case 'GRPCRoute':
        for (const p of r.spec.parentRefs ?? []) if (isServiceParent(p)) change.parents.add(`${p.namespace ?? r.metadata.namespace}/${p.name}`);
        break;
      case 'PeerAuthentication':
        change.peers = true;
        break;
      case 'Gateway':
      case 'AuthorizationPolicy':
      case 'RequestAuthentication':
      case 'Mesh':
        break;
      default:
        return 'all';
    }
  }
  return change;
}

/** Whether nothing of the outbound part can differ (before looking at PeerAuthentications). */
export function isEmptyChange(c: OutboundChange): boolean {
  return c.routes.empty && c.parents.size === 0 && c.clusters.empty && c.subsetReferrers.empty && c.destinations.size === 0 && !c.peers;
}

/** Whether the change concerns a service's virtual hosts directly. */
export function routesChanged(c: OutboundChange, service: CatalogService): boolean {
  if (c.routes.matches(service.hostnames)) return true;
  return service.source.kind === 'registry' && c.parents.size > 0 && c.parents.has(`${service.namespace}/${service.source.service.name}`);
}
