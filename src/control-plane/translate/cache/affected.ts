// Which sidecars a configuration change can concern, so the control plane recomputes and pushes
// those only, instead of looking at every proxy of the mesh for a change private to one namespace.
//
// A VirtualService, DestinationRule or ServiceEntry reaches sidecars only in the namespaces it is
// exported to (translate drops it everywhere else before reading it; sidecar-parts.ts
// resourcesVisibleFrom, checked by sidecar-parts.test.ts). Every other kind (PeerAuthentication,
// Gateway API routes, Gateways, …) may matter anywhere. A resource that changed counts with both
// its old and its new version, so narrowing or widening its exportTo reaches both sides.
import type { Resource } from '../../../api/kinds.js';

/** Namespaces whose sidecars may see a difference between `before` and `after`, or 'all'. */
export function affectedNamespaces(before: readonly Resource[], after: readonly Resource[]): ReadonlySet<string> | 'all' {
  const old = new Set(before);
  const now = new Set(after);
  const namespaces = new Set<string>();
  for (const r of [...before.filter((x) => !now.has(x)), ...after.filter((x) => !old.has(x))]) {
    const reach = exportedTo(r);
    if (reach === 'all') return 'all';
    for (const ns of reach) namespaces.add(ns);
  }
  return namespaces;
}

function exportedTo(r: Resource): readonly string[] | 'all' {
  if (r.kind !== 'VirtualService' && r.kind !== 'DestinationRule' && r.kind !== 'ServiceEntry') return 'all';
  const list = r.spec.exportTo;
  if (list === undefined || list.length === 0 || list.includes('*')) return 'all';
  // "." is the resource's own namespace, "~" nobody; anything else names a namespace.
  return list.filter((ns) => ns !== '~').map((ns) => (ns === '.' ? r.metadata.namespace : ns));
}
