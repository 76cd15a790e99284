// TLS passthrough routing (Istio's PASSTHROUGH with VirtualService `tls` routes): server name →
// the destinations of the first route naming it. As Envoy matches a filter chain's server names:
// an exact name first, then the most specific `*.suffix` (any depth: a.b.example.com tries
// *.b.example.com, then *.example.com, then *.com), then `*`, which also takes clients that
// send no name. Built once per snapshot; a connection does a few map lookups.
import type { SniRoute, TcpDestination } from '../../model/snapshot.js';

export function passthroughTable(routes: readonly SniRoute[]): (serverName: string | undefined) => readonly TcpDestination[] | undefined {
  const exact = new Map<string, readonly TcpDestination[]>();
  const suffix = new Map<string, readonly TcpDestination[]>();
  let any: readonly TcpDestination[] | undefined;
  for (const r of routes) {
    for (const raw of r.serverNames) {
      const name = raw.toLowerCase();
      if (name === '*') any ??= r.destinations;
      else if (name.startsWith('*.')) {
        if (!suffix.has(name.slice(1))) suffix.set(name.slice(1), r.destinations);
      } else if (!exact.has(name)) exact.set(name, r.destinations);
    }
  }
  return (serverName) => {
    if (serverName === undefined) return any;
    const name = serverName.toLowerCase();
    const found = exact.get(name);
    if (found) return found;
    for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
      const bySuffix = suffix.get(name.slice(dot));
      if (bySuffix) return bySuffix;
    }
    return any;
  };
}

/** One destination by weight (default 1), for one connection; undefined when all weigh 0. */
export function pickWeighted(destinations: readonly TcpDestination[], random: () => number = Math.random): TcpDestination | undefined {
  if (destinations.length === 1) return (destinations[0].weight ?? 1) > 0 ? destinations[0] : undefined;
  const total = destinations.reduce((sum, d) => sum + (d.weight ?? 1), 0);
  if (total <= 0) return undefined;
  let point = random() * total;
  for (const d of destinations) {
    point -= d.weight ?? 1;
    if (point < 0) return d;
  }
  return destinations[destinations.length - 1];
}
