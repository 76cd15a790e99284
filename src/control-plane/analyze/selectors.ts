// Label selectors that match no workload of the Mesh: a policy (or DestinationRule) that applies
// to nothing is almost always a typo in a label or the wrong namespace.
import type { Resource } from '../../api/kinds.js';
import { findingAt } from './finding.js';
import type { AnalyzeOptions, Finding, Located } from './types.js';
import { formatLabels, type World } from './world.js';

export function selectorFindings(world: World, resources: readonly Located[], options: AnalyzeOptions): Finding[] {
  if (!world.known) return [];
  const out: Finding[] = [];
  for (const loc of resources) {
    const found = selectorOf(loc.resource);
    if (found === undefined || Object.keys(found.labels).length === 0) continue;
    const { kind, metadata } = loc.resource;
    const ns = metadata.namespace;
    if (ns === options.rootNamespace && kind === 'PeerAuthentication') {
      // translate (like Istio's ComposePeerAuthentication) reads only selector-less mesh policies.
      const message = `a PeerAuthentication with a selector in the root namespace ${ns} applies to no workload (mesh-wide policies have no selector); move it to the namespace of the workloads it selects, or drop the selector`;
      out.push(findingAt(loc, found.path, 'warning', message));
      continue;
    }
    // Istio: a policy in the root namespace selects workloads of every namespace.
    const scope = ns === options.rootNamespace && kind !== 'DestinationRule' ? undefined : ns;
    if (world.selected(found.labels, scope).length > 0) continue;
    const where = scope === undefined ? 'in the mesh' : `in namespace ${ns}`;
    out.push(findingAt(loc, found.path, 'warning', `no workload ${where} carries ${formatLabels(found.labels)}, so this ${kind} applies to nothing; fix the labels or the namespace`));
  }
  return out;
}

function selectorOf(r: Resource): { labels: Readonly<Record<string, string>>; path: string[] } | undefined {
  switch (r.kind) {
    case 'PeerAuthentication':
    case 'AuthorizationPolicy':
    case 'RequestAuthentication':
      return r.spec.selector?.matchLabels ? { labels: r.spec.selector.matchLabels, path: ['spec', 'selector', 'matchLabels'] } : undefined;
    case 'DestinationRule':
      return r.spec.workloadSelector?.matchLabels ? { labels: r.spec.workloadSelector.matchLabels, path: ['spec', 'workloadSelector', 'matchLabels'] } : undefined;
    default:
      return undefined;
  }
}
