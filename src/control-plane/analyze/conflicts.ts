// Resources that compete for the same thing, where only one can win: two VirtualServices for one
// host, two DestinationRules for one host in one namespace, two namespace-wide PeerAuthentications,
// two Meshes. The older (given first) wins, as in Istio and translate; the newer gets the finding.
import type { DestinationRule } from '../../api/destination-rule.js';
import type { Mesh } from '../../api/mesh.js';
import type { PeerAuthentication } from '../../api/peer-authentication.js';
import type { VirtualService } from '../../api/virtual-service.js';
import { resolveHost } from '../translate/hosts.js';
import { boundGateways, exportRank } from '../translate/visibility.js';
import { findingAt, mention } from './finding.js';
import type { AnalyzeOptions, Finding, Located } from './types.js';

export function conflictFindings(resources: readonly Located[], namespaces: ReadonlySet<string>, options: AnalyzeOptions): Finding[] {
  const of = <K extends string>(kind: K) => resources.filter((l) => l.resource.kind === kind);
  const all = new Set([...namespaces, ...resources.map((l) => l.resource.metadata.namespace)]);
  return [
    ...virtualServices(of('VirtualService') as Located<VirtualService>[], all),
    ...destinationRules(of('DestinationRule') as Located<DestinationRule>[]),
    ...peerAuthentications(of('PeerAuthentication') as Located<PeerAuthentication>[], options.rootNamespace),
    ...meshes(of('Mesh') as Located<Mesh>[]),
  ];
}

/** Sidecars apply one VirtualService per host (Istio merges them only on gateways). */
function virtualServices(list: readonly Located<VirtualService>[], namespaces: ReadonlySet<string>): Finding[] {
  const mesh = list.filter((l) => boundGateways(l.resource.spec.gateways, l.resource.metadata.namespace).includes('mesh'));
  const out: Finding[] = [];
  mesh.forEach((newer, n) => {
    const vs = newer.resource;
    (vs.spec.hosts ?? []).forEach((raw, i) => {
      const host = resolveHost(raw, vs.metadata.namespace);
      const older = mesh.slice(0, n).find((o) => (o.resource.spec.hosts ?? []).some((h) => resolveHost(h, o.resource.metadata.namespace) === host) && sharedView(o.resource, vs, namespaces));
      if (older === undefined) return;
      out.push(
        findingAt(newer, ['spec', 'hosts', i], 'warning', `${host} is also routed by ${mention(older)}, which is older and applies: sidecars use one VirtualService per host, so this one is ignored for it; merge their routes into one VirtualService`),
      );
    });
  });
  return out;
}

/** Some namespace sees both with the same precedence (exportTo), so neither shadows the other there. */
function sharedView(a: VirtualService, b: VirtualService, namespaces: ReadonlySet<string>): boolean {
  return [...namespaces].some((ns) => {
    const ra = exportRank(a.spec.exportTo, a.metadata.namespace, ns);
    return ra !== undefined && ra === exportRank(b.spec.exportTo, b.metadata.namespace, ns);
  });
}

function destinationRules(list: readonly Located<DestinationRule>[]): Finding[] {
  const key = (l: Located<DestinationRule>) => {
    const dr = l.resource;
    return JSON.stringify([dr.metadata.namespace, resolveHost(dr.spec.host, dr.metadata.namespace), dr.spec.workloadSelector?.matchLabels ?? null]);
  };
  const out: Finding[] = [];
  list.forEach((newer, n) => {
    const older = list.slice(0, n).find((o) => key(o) === key(newer));
    if (older === undefined) return;
    const host = resolveHost(newer.resource.spec.host, newer.resource.metadata.namespace);
    out.push(
      findingAt(newer, ['spec', 'host'], 'warning', `${mention(older)} is for the same host ${host} in this namespace; they are merged (subsets pooled, the first definition of a name and the older trafficPolicy win); keep one DestinationRule per host`),
    );
  });
  return out;
}

/** Istio uses the oldest namespace-wide (or mesh-wide) policy and ignores the others. */
function peerAuthentications(list: readonly Located<PeerAuthentication>[], rootNamespace: string): Finding[] {
  const wide = list.filter((l) => Object.keys(l.resource.spec.selector?.matchLabels ?? {}).length === 0);
  const out: Finding[] = [];
  wide.forEach((newer, n) => {
    const ns = newer.resource.metadata.namespace;
    const older = wide.slice(0, n).find((o) => o.resource.metadata.namespace === ns);
    if (older === undefined) return;
    // In the root namespace a selector would make it apply to nothing, so merging is the only fix.
    const [scope, fix] =
      ns === rootNamespace
        ? [`the mesh (root namespace ${ns}) already has a mesh-wide`, 'merge them into one']
        : [`namespace ${ns} already has a namespace-wide`, 'merge them into one, or give this one a selector'];
    out.push(findingAt(newer, ['spec'], 'error', `${scope} PeerAuthentication, ${mention(older)}; only the oldest applies, so this one is ignored; ${fix}`));
  });
  return out;
}

function meshes(list: readonly Located<Mesh>[]): Finding[] {
  return list.slice(1).map((m) => findingAt(m, [], 'error', `${mention(list[0])} is also a Mesh; maille run takes exactly one; merge their services into one Mesh`));
}
