// Which hosts' outbound virtual hosts can differ after a change of the resources a namespace
// sees, so the snapshot cache recomputes those and reuses the JSON of every other one
// (snapshot-cache.ts). 'all' when the change cannot be attributed precisely.
//
// Why the attribution is sound. Only a change made of VirtualServices (added, removed or
// replaced; nothing else changed, the others in the same relative order) is attributed; any other
// kind, a reordering, or a VirtualService whose exportTo changed gives 'all'. The registry is not
// part of the diff: the cache compares it by identity first and recomputes everything when it
// changed. Then, for the outbound part (translate/sidecar-outbound.ts):
//   - A service's virtual hosts read VirtualServices only through chooseVirtualService, which
//     looks at the candidates naming one of the service's hostnames exactly (the HostIndex's
//     exact map) and the wildcard candidates covering it. A changed VirtualService with a
//     wildcard host could cover any service: 'all'. Otherwise it can change the choice, and
//     the routes, of a service only if, before or after, it names one of that service's
//     hostnames exactly: those are the returned hosts. A replaced one counts with both versions.
//   - The chosen VirtualService's routes (istio-routes.ts) read the catalog, the
//     DestinationRules (subsets of the destinations), the Gateway API routes and the registry,
//     none of which changed; they read no other VirtualService (delegate is not supported and
//     only warned about), so a route of an unchanged service to a host whose VirtualService
//     changed stays the same: a route names a cluster, not the destination's routes.
//   - Domains come from the catalog and the namespace only, and claims are made in catalog
//     order for every service whatever is recomputed, so they are unchanged. Alias virtual hosts
//     (VirtualService hosts that name no service) are few and always recomputed.
//   - A cluster's content reads the service, the DestinationRule, the registry and the
//     PeerAuthentications (clusters.ts), none of which changed, plus one bit from the routes that
//     name it: whether any sends gRPC (http2). The cache rebuilds every cluster a recomputed
//     virtual host names, with that bit ORed over all the virtual hosts naming it, and keeps the
//     text of clusters named only by reused ones (same requesters, same bit). Which clusters
//     exist is the union of what each virtual host names, recorded per host. Mirror destinations
//     are names like any other: recorded with the host whose routes mirror there.
// A DestinationRule, ServiceEntry, HTTPRoute, PeerAuthentication or any other kind falls back to
// 'all': a DestinationRule's subsets are read by routes of any host that names its host, a
// ServiceEntry can overlap or shadow other hosts, a route can take precedence over another's.
// sidecar-parts.test.ts and delta-property.test.ts compare the result with translate() along
// random sequences of single-resource changes.
import type { Resource } from '../../../api/kinds.js';
import { isWildcard, resolveHost } from '../hosts.js';

/** Resolved hosts whose virtual hosts may differ between the two visible lists, or 'all'. */
export function changedHosts(before: readonly Resource[], after: readonly Resource[]): ReadonlySet<string> | 'all' {
  const old = new Set(before);
  const now = new Set(after);
  const removed = before.filter((r) => !now.has(r));
  const added = after.filter((r) => !old.has(r));
  // The unchanged resources must keep their relative order (ages decide conflicts).
  const keptBefore = before.filter((r) => now.has(r));
  const keptAfter = after.filter((r) => old.has(r));
  if (keptBefore.length !== keptAfter.length || keptBefore.some((r, i) => r !== keptAfter[i])) return 'all';

  const hosts = new Set<string>();
  const exportTo = new Map<string, string>();
  for (const r of [...removed, ...added]) {
    if (r.kind !== 'VirtualService') return 'all';
    const id = `${r.metadata.namespace}/${r.metadata.name}`;
    const reach = JSON.stringify(r.spec.exportTo ?? null);
    const other = exportTo.get(id);
    if (other !== undefined && other !== reach) return 'all';
    exportTo.set(id, reach);
    for (const h of r.spec.hosts ?? []) {
      const host = resolveHost(h, r.metadata.namespace);
      if (isWildcard(host)) return 'all';
      hosts.add(host);
    }
  }
  return hosts;
}
