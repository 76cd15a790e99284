// References to things that must exist: route destinations and backends name a service of the
// Mesh or a ServiceEntry host; a destination subset is defined by a DestinationRule for its host;
// a DestinationRule is for a host that exists and its subsets select workloads of it.
import type { DestinationRule } from '../../api/destination-rule.js';
import type { BackendObjectReferenceSchema, ParentReference } from '../../api/gateway-api-common.js';
import type { GRPCRoute } from '../../api/grpc-route.js';
import type { HTTPRoute } from '../../api/http-route.js';
import type { Destination } from '../../api/istio-common.js';
import { closest, type FieldPath } from '../../api/problems.js';
import type { VirtualService } from '../../api/virtual-service.js';
import { serviceFqdn } from '../registry/hostnames.js';
import { hostCovers, isWildcard, resolveHost } from '../translate/hosts.js';
import { boundGateways } from '../translate/visibility.js';
import type { Static } from '@sinclair/typebox';
import { findingAt } from './finding.js';
import type { Finding, Located } from './types.js';
import { formatLabels, type Target, type World } from './world.js';

type BackendRef = Static<typeof BackendObjectReferenceSchema>;

/**
 * @param subsetsKnown false when a DestinationRule failed validation: the subset it defines may be
 *   the one a route names, so undefined subsets are not reported until it is fixed.
 */
export function referenceFindings(world: World, resources: readonly Located[], subsetsKnown: boolean): Finding[] {
  if (!world.known) return [];
  const rules = resources.filter((l): l is Located<DestinationRule> => l.resource.kind === 'DestinationRule');
  const out: Finding[] = [];
  for (const loc of resources) {
    const r = loc.resource;
    if (r.kind === 'VirtualService') out.push(...virtualService(world, subsetsKnown ? rules : undefined, loc as Located<VirtualService>));
    else if (r.kind === 'DestinationRule') out.push(...destinationRule(world, loc as Located<DestinationRule>));
    else if (r.kind === 'HTTPRoute' || r.kind === 'GRPCRoute') out.push(...gatewayApiRoute(world, loc as Located<HTTPRoute | GRPCRoute>));
  }
  return out;
}

function virtualService(world: World, rules: readonly Located<DestinationRule>[] | undefined, loc: Located<VirtualService>): Finding[] {
  const vs = loc.resource;
  const ns = vs.metadata.namespace;
  const out: Finding[] = [];
  // A mesh VirtualService host that names no service still works as an alias (callers that use
  // exactly that name), so it is a warning; gateway hosts are external names by nature.
  if (boundGateways(vs.spec.gateways, ns).includes('mesh')) {
    (vs.spec.hosts ?? []).forEach((host, i) => {
      if (isWildcard(host) || world.lookup(host, ns) !== undefined) return;
      out.push(findingAt(loc, ['spec', 'hosts', i], 'warning', `${written(host, ns)} is neither a service of the Mesh nor a ServiceEntry host; sidecars route it only for callers that use exactly this name: ${fix(world, host, ns)}`));
    });
  }
  const dests: { dest: Destination; path: FieldPath }[] = [];
  vs.spec.http?.forEach((h, i) => {
    h.route?.forEach((d, j) => dests.push({ dest: d.destination, path: ['spec', 'http', i, 'route', j, 'destination'] }));
    if (h.mirror) dests.push({ dest: h.mirror, path: ['spec', 'http', i, 'mirror'] });
    h.mirrors?.forEach((m, j) => dests.push({ dest: m.destination, path: ['spec', 'http', i, 'mirrors', j, 'destination'] }));
  });
  for (const kind of ['tcp', 'tls'] as const) {
    vs.spec[kind]?.forEach((t, i) => t.route?.forEach((d, j) => dests.push({ dest: d.destination, path: ['spec', kind, i, 'route', j, 'destination'] })));
  }
  for (const { dest, path } of dests) {
    const target = world.lookup(dest.host, ns);
    if (target === undefined) {
      out.push(findingAt(loc, [...path, 'host'], 'error', `${written(dest.host, ns)} is neither a service of the Mesh nor a ServiceEntry host, so requests routed there fail with 503; ${fix(world, dest.host, ns)}`));
      continue;
    }
    if (rules === undefined || dest.subset === undefined || dest.subset === '') continue;
    const defined = subsetsFor(rules, target);
    if (!defined.has(dest.subset)) {
      const known = defined.size > 0 ? ` (defined: ${[...defined].join(', ')})` : '';
      const fqdn = fqdnOf(target);
      out.push(
        findingAt(loc, [...path, 'subset'], 'error', `subset "${dest.subset}" is not defined by any DestinationRule for ${fqdn}${known}, so requests routed there fail with 503; add it to the spec.subsets of a DestinationRule for ${fqdn}, or route to a defined subset`),
      );
    }
  }
  return out;
}

function destinationRule(world: World, loc: Located<DestinationRule>): Finding[] {
  const dr = loc.resource;
  const ns = dr.metadata.namespace;
  if (isWildcard(dr.spec.host)) return [];
  const target = world.lookup(dr.spec.host, ns);
  if (target === undefined) {
    return [findingAt(loc, ['spec', 'host'], 'error', `${written(dr.spec.host, ns)} is neither a service of the Mesh nor a ServiceEntry host, so this rule applies to nothing; ${fix(world, dr.spec.host, ns)}`)];
  }
  if (target.kind !== 'service') return []; // ServiceEntry endpoints carry labels of their own
  const { service } = target;
  const out: Finding[] = [];
  dr.spec.subsets?.forEach((s, i) => {
    const labels = s.labels ?? {};
    if (service.workloads.some((w) => Object.entries(labels).every(([k, v]) => w.labels[k] === v))) return;
    const have = service.workloads.length > 0 ? ` (its workloads: ${service.workloads.map((w) => formatLabels(w.labels)).join('; ')})` : ' (it has no workloads)';
    out.push(
      findingAt(loc, ['spec', 'subsets', i, 'labels'], 'warning', `no workload of service ${service.namespace}/${service.name} carries ${formatLabels(labels)}${have}, so subset "${s.name}" has no endpoints; fix the labels, or add a workload with them to the Mesh`),
    );
  });
  return out;
}

function gatewayApiRoute(world: World, loc: Located<HTTPRoute | GRPCRoute>): Finding[] {
  const route = loc.resource;
  const ns = route.metadata.namespace;
  const out: Finding[] = [];
  route.spec.parentRefs?.forEach((p: ParentReference, i) => {
    if (p.kind !== 'Service' || !(p.group === undefined || p.group === '' || p.group === 'core')) return;
    const pns = p.namespace ?? ns;
    if (world.lookup(serviceFqdn(p.name, pns), pns)?.kind !== 'service') {
      out.push(findingAt(loc, ['spec', 'parentRefs', i, 'name'], 'error', `no service ${pns}/${p.name} in the Mesh, so this route applies to nothing; ${fix(world, p.name, pns)}`));
    }
  });
  const refs: { ref: BackendRef; path: FieldPath }[] = [];
  type Filter = { requestMirror?: { backendRef: BackendRef } };
  const mirrors = (filters: readonly Filter[] | undefined, path: FieldPath) =>
    filters?.forEach((f, k) => f.requestMirror && refs.push({ ref: f.requestMirror.backendRef, path: [...path, 'filters', k, 'requestMirror', 'backendRef'] }));
  route.spec.rules?.forEach((rule, i) => {
    const at = ['spec', 'rules', i];
    mirrors(rule.filters as Filter[] | undefined, at);
    rule.backendRefs?.forEach((b, j) => {
      refs.push({ ref: b, path: [...at, 'backendRefs', j] });
      mirrors(b.filters as Filter[] | undefined, [...at, 'backendRefs', j]);
    });
  });
  for (const { ref, path } of refs) {
    const group = ref.group ?? '';
    const kind = ref.kind ?? 'Service';
    if ((group === '' || group === 'core') && kind === 'Service') {
      const bns = ref.namespace ?? ns;
      if (world.lookup(serviceFqdn(ref.name, bns), bns) === undefined) {
        out.push(findingAt(loc, [...path, 'name'], 'error', `no service ${bns}/${ref.name} in the Mesh, so requests sent to this backend fail with 503; ${fix(world, ref.name, bns)}`));
      }
    } else if (group === 'networking.istio.io' && kind === 'Hostname' && world.lookup(ref.name, ns) === undefined) {
      out.push(findingAt(loc, [...path, 'name'], 'error', `no ServiceEntry declares host ${ref.name}, so requests sent to this backend fail with 503; ${fix(world, ref.name, ns)}`));
    }
  }
  return out;
}

/** Subset names defined for a target by any DestinationRule whose host covers it. */
function subsetsFor(rules: readonly Located<DestinationRule>[], target: Target): Set<string> {
  const names = target.kind === 'service' ? target.service.hostnames : [target.host];
  const fqdn = fqdnOf(target);
  const out = new Set<string>();
  for (const { resource: dr } of rules) {
    const host = resolveHost(dr.spec.host, dr.metadata.namespace);
    if (names.includes(host) || hostCovers(host, fqdn)) for (const s of dr.spec.subsets ?? []) out.add(s.name);
  }
  return out;
}

function fqdnOf(target: Target): string {
  return target.kind === 'service' ? target.service.fqdn : target.host;
}

/** `"reviws" (reviws.default.svc.cluster.local)` when the name was resolved, else the name. */
function written(host: string, ns: string): string {
  const resolved = resolveHost(host, ns);
  return resolved === host ? host : `"${host}" (${resolved})`;
}

function fix(world: World, host: string, ns: string): string {
  const close = closest(host.toLowerCase(), world.names(ns));
  return close !== undefined ? `did you mean ${close}?` : 'fix the name, or declare the service in the Mesh or the host in a ServiceEntry';
}
