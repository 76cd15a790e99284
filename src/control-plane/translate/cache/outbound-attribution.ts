// Which hosts' outbound virtual hosts can differ after a change of the resources a namespace
// sees, so the snapshot cache recomputes those and reuses the JSON of every other one
// (snapshot-cache.ts). 'all' when the change cannot be attributed precisely.
//
// Why the attribution is sound. Only a change made of VirtualServices and DestinationRules
// (added, removed or replaced; nothing else changed, the others in the same relative order) is
// attributed; any other kind, a reordering, a resource whose exportTo changed, a DestinationRule
// with a workloadSelector (unless it is the same before and after) or a wildcard host gives
// 'all'. The registry is not part of the diff: the cache compares it by identity first and
// recomputes everything when it changed. Then, for the outbound part (translate/sidecar-outbound.ts):
//   - A service's virtual hosts read VirtualServices only through chooseVirtualService, which
//     looks at the candidates naming one of the service's hostnames exactly (the HostIndex's
//     exact map) and the wildcard candidates covering it. A changed VirtualService with a
//     wildcard host could cover any service: 'all'. Otherwise it can change the choice, and
//     the routes, of a service only if, before or after, it names one of that service's
//     hostnames exactly: those are the `virtualServices` hosts. A replaced one counts with both
//     versions.
//   - The chosen VirtualService's routes (istio-routes.ts) read the catalog, the
//     DestinationRules (subsets of the destinations), the Gateway API routes and the registry;
//     they read no other VirtualService (delegate is not supported and only warned about), so a
//     route of an unchanged service to a host whose VirtualService changed stays the same: a
//     route names a cluster, not the destination's routes.
//   - DestinationRules are read on the outbound side only through DestinationRules.forService
//     (destination-rules.ts), by destinationCluster (does the subset a route or mirror names
//     exist: a warning) and by a cluster's build (traffic policy, balancer and consistent hash,
//     TLS and so auto-mTLS, a subset's labels and policy: clusters.ts, policies.ts, mesh-tls.ts).
//     forService(S) looks only at the rules whose host is one of S's hostnames exactly and at
//     the wildcard ones; every precedence rule (proxy's namespace, service's, root namespace,
//     selector, age, merging) is applied within that set. So a changed DestinationRule with
//     exact host H (visibility by exportTo and, when unchanged, its workloadSelector decide only
//     whether it joins that set) can change forService only for the services naming H: their
//     clusters, and the routes that name those clusters (whose cluster names do not depend on the
//     rule, only their warnings and the clusters' content do). Those are the `destinationRules`
//     hosts; the cache recomputes their services' virtual hosts and every virtual host whose
//     recorded clusters include a cluster of such a service, which rebuilds all those clusters.
//     A wildcard host could concern any service: 'all'.
//   - Domains come from the catalog and the namespace only, and claims are made in catalog
//     order for every service whatever is recomputed, so they are unchanged. Alias virtual hosts
//     (VirtualService hosts that name no service) are few and always recomputed.
//   - A cluster's content reads the service, the DestinationRule, the registry and the
//     PeerAuthentications (clusters.ts), of which only the DestinationRule can have changed (see
//     above), plus one bit from the routes that name it: whether any sends gRPC (http2). The
//     cache rebuilds every cluster a recomputed virtual host names, with that bit ORed over all
//     the virtual hosts naming it, and keeps the text of clusters named only by reused ones (same
//     requesters, same bit, not a cluster of a changed DestinationRule's host). Which clusters
//     exist is the union of what each virtual host names, recorded per host. Mirror destinations
//     are names like any other: recorded with the host whose routes mirror there.
// A ServiceEntry, HTTPRoute, PeerAuthentication or any other kind falls back to 'all': a
// ServiceEntry can overlap or shadow other hosts, a route can take precedence over another's.
// sidecar-parts.test.ts, delta-property.test.ts and outbound-update.test.ts compare the result
// with translate() along random sequences of single-resource changes.
import type { Resource } from '../../../api/kinds.js';
import { isWildcard, resolveHost } from '../hosts.js';

/** Resolved hosts concerned by a change, by the kind of resource that names them. */
export interface ChangedHosts {
  /** Hosts named by a changed VirtualService: their services' virtual hosts may differ. */
  readonly virtualServices: ReadonlySet<string>;
  /**
   * Hosts of a changed DestinationRule: the clusters of the services naming them may differ, and
   * so may the routes of every virtual host naming one of those clusters.
   */
  readonly destinationRules: ReadonlySet<string>;
}

/** The hosts whose virtual hosts or clusters may differ between the two visible lists, or 'all'. */
export function changedHosts(before: readonly Resource[], after: readonly Resource[]): ChangedHosts | 'all' {
  const old = new Set(before);
  const now = new Set(after);
  const removed = before.filter((r) => !now.has(r));
  const added = after.filter((r) => !old.has(r));
  // The unchanged resources must keep their relative order (ages decide conflicts).
  const keptBefore = before.filter((r) => now.has(r));
  const keptAfter = after.filter((r) => old.has(r));
  if (keptBefore.length !== keptAfter.length || keptBefore.some((r, i) => r !== keptAfter[i])) return 'all';

  const virtualServices = new Set<string>();
  const destinationRules = new Set<string>();
  const reachById = new Map<string, string>();
  const selectorById = new Map<string, { json: string; count: number }>();
  for (const r of [...removed, ...added]) {
    if (r.kind !== 'VirtualService' && r.kind !== 'DestinationRule') return 'all';
    const id = `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`;
    const reach = JSON.stringify(r.spec.exportTo ?? null);
    const other = reachById.get(id);
    if (other !== undefined && other !== reach) return 'all';
    reachById.set(id, reach);
    if (r.kind === 'VirtualService') {
      for (const h of r.spec.hosts ?? []) {
        const host = resolveHost(h, r.metadata.namespace);
        if (isWildcard(host)) return 'all';
        virtualServices.add(host);
      }
    } else if (r.kind === 'DestinationRule') {
      const host = resolveHost(r.spec.host, r.metadata.namespace);
      if (isWildcard(host)) return 'all';
      destinationRules.add(host);
      const json = JSON.stringify(r.spec.workloadSelector ?? null);
      const seen = selectorById.get(id);
      if (seen !== undefined && seen.json !== json) return 'all';
      selectorById.set(id, { json, count: (seen?.count ?? 0) + 1 });
    }
  }
  // A selector added or removed (not the same rule's, before and after) changes which workloads
  // a rule applies to: left to the full computation.
  for (const { json, count } of selectorById.values()) if (json !== 'null' && count < 2) return 'all';
  return { virtualServices, destinationRules };
}
