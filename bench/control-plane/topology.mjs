// The simulated mesh, shared by the control-plane process, the proxy processes and the
// orchestrator so that all three agree on names without sending them around:
//
//   services  svc-0000 … svc-N   spread round-robin over namespaces ns-00 … ns-K, port 9080 (http)
//   proxies   svc-0000-0, svc-0000-1, …   (proxies / services workloads per service; identity
//             spiffe://cluster.local/ns/<ns>/sa/<service>, labels app=<service>, version=v1)
//
// The simulated proxies do not listen anywhere: the ports below only have to be distinct and valid.
import { performance } from 'node:perf_hooks';

export function topology({ services, proxies, namespaces }) {
  const svc = [];
  for (let i = 0; i < services; i++) {
    svc.push({ name: `svc-${String(i).padStart(4, '0')}`, namespace: `ns-${String(i % namespaces).padStart(2, '0')}` });
  }
  const prx = [];
  for (let i = 0; i < proxies; i++) {
    const s = svc[i % services];
    const replica = Math.floor(i / services);
    prx.push({
      index: i,
      id: `${s.name}-${replica}`,
      service: s.name,
      namespace: s.namespace,
      labels: { app: s.name, version: 'v1' },
      ports: { outbound: 10000 + (i % 50000), inbound: 20000 + (i % 40000), app: 25000 + (i % 40000) },
    });
  }
  return { services: svc, proxies: prx };
}

/** NodeInfo (discovery protocol) of a simulated proxy, as the real proxy sends it in its hello. */
export function nodeInfo(p) {
  return {
    id: p.id,
    namespace: p.namespace,
    serviceAccount: p.service,
    labels: p.labels,
    service: { name: p.service, ports: [{ port: 9080, targetPort: p.ports.app, protocol: 'http' }] },
    addresses: ['127.0.0.1'],
    proxyVersion: 'bench',
  };
}

/** The kinds of mesh-wide change, applied in turn (BENCH_CP_GLOBAL changes in all). */
export const MESH_WIDE_KINDS = ['VirtualService', 'DestinationRule', 'ServiceEntry', 'HTTPRoute', 'GRPCRoute', 'PeerAuthentication', 'wildcard DestinationRule'];

/**
 * The configuration changes the bench applies, in order. A scoped change is a VirtualService or a
 * DestinationRule of one service exported only to its own namespace (exportTo: ["."]): it
 * changes the snapshots of that namespace's proxies and nobody else's. A mesh-wide change
 * changes every proxy's snapshot; they take the kinds of MESH_WIDE_KINDS in turn, each the next
 * version of one resource of that kind (created the first time):
 *   VirtualService            routes of svc-0000, which every proxy can reach
 *   DestinationRule           traffic policy of svc-0000 (its cluster everywhere)
 *   ServiceEntry              an external host exported everywhere, its endpoint moving
 *   HTTPRoute                 a producer route of svc-0001 (GAMMA: applies to every client)
 *   GRPCRoute                 a producer route of svc-0002 splitting to a service of its namespace
 *   PeerAuthentication        the mesh-wide mTLS mode, STRICT ↔ PERMISSIVE (every inbound side)
 *   wildcard DestinationRule  `*.ns-00.svc.cluster.local`: the clusters of a namespace's services
 */
export function changes(topo, { scoped, global }) {
  const out = [];
  // Services the mesh-wide changes use: a scoped VirtualService or DestinationRule private to a
  // namespace outranks them there (Istio's exportTo precedence), which would hide their effect.
  const reserved = new Set(meshWideServices(topo).map((s) => s.name));
  const candidates = topo.services.filter((s) => !reserved.has(s.name));
  for (let i = 0; i < scoped; i++) {
    const s = candidates[(i * 7919) % candidates.length];
    const meta = { name: `${s.name}-scoped`, namespace: s.namespace };
    const resource =
      i % 2 === 0
        ? {
            apiVersion: 'networking.istio.io/v1',
            kind: 'VirtualService',
            metadata: meta,
            spec: { hosts: [s.name], exportTo: ['.'], http: [{ timeout: `${1 + i}s`, route: [{ destination: { host: s.name } }] }] },
          }
        : {
            apiVersion: 'networking.istio.io/v1',
            kind: 'DestinationRule',
            metadata: meta,
            spec: { host: s.name, exportTo: ['.'], trafficPolicy: { connectionPool: { http: { http1MaxPendingRequests: 100 + i } } } },
          };
    out.push({ kind: 'scoped', what: `scoped ${resource.kind}`, label: `${resource.kind} ${s.namespace}/${s.name} (exportTo .)`, resource, affected: { namespace: s.namespace } });
  }
  for (let i = 0; i < global; i++) {
    const what = MESH_WIDE_KINDS[i % MESH_WIDE_KINDS.length];
    const round = Math.floor(i / MESH_WIDE_KINDS.length);
    const resource = meshWide(topo, what, round);
    out.push({ kind: 'mesh-wide', what, label: `${resource.kind} ${resource.metadata.namespace}/${resource.metadata.name} (every proxy)`, resource, affected: 'all' });
  }
  return out;
}

/** The services the mesh-wide changes concern: svc-0000 … svc-0002, and a neighbour of svc-0002 (its namespace) to split to. */
function meshWideServices(topo) {
  const [s0, s1, s2] = topo.services;
  const s3 = topo.services.find((s) => s !== s2 && s.namespace === s2.namespace) ?? s2;
  return [s0, s1, s2, s3];
}

/** Version `round` of the mesh-wide resource of kind `what`: each differs from the one before. */
export function meshWide(topo, what, round) {
  const [s0, s1, s2, s3] = meshWideServices(topo);
  const meta = (s) => ({ name: `${s.name}-mesh-wide`, namespace: s.namespace });
  switch (what) {
    case 'VirtualService':
      return { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta(s0), spec: { hosts: [s0.name], http: [{ timeout: `${10 + round}s`, route: [{ destination: { host: s0.name } }] }] } };
    case 'DestinationRule':
      return { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta(s0), spec: { host: s0.name, trafficPolicy: { connectionPool: { http: { http1MaxPendingRequests: 500 + round } } } } };
    case 'ServiceEntry':
      return {
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: { name: 'payments-api', namespace: s0.namespace },
        spec: { hosts: ['payments.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'STATIC', endpoints: [{ address: `192.0.2.${1 + (round % 250)}` }] },
      };
    case 'HTTPRoute':
      return {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: meta(s1),
        spec: { parentRefs: [{ group: '', kind: 'Service', name: s1.name, port: 9080 }], rules: [{ timeouts: { request: `${10 + round}s` }, backendRefs: [{ name: s1.name, port: 9080 }] }] },
      };
    case 'GRPCRoute':
      return {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GRPCRoute',
        metadata: meta(s2),
        spec: { parentRefs: [{ group: '', kind: 'Service', name: s2.name }], rules: [{ backendRefs: [{ name: s2.name, port: 9080, weight: 90 - round }, { name: s3.name, port: 9080, weight: 10 + round }] }] },
      };
    case 'PeerAuthentication':
      return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: round % 2 === 0 ? 'STRICT' : 'PERMISSIVE' } } };
    case 'wildcard DestinationRule':
      return {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'ns-00-defaults', namespace: 'istio-system' },
        spec: { host: `*.${s0.namespace}.svc.cluster.local`, trafficPolicy: { connectionPool: { http: { http1MaxPendingRequests: 200 + round } } } },
      };
    default:
      throw new Error(`unknown mesh-wide kind ${what}`);
  }
}

/** Indexes of the proxies a change affects. */
export function affectedProxies(topo, affected) {
  if (affected === 'all') return topo.proxies.map((p) => p.index);
  return topo.proxies.filter((p) => p.namespace === affected.namespace).map((p) => p.index);
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export function now() {
  return performance.timeOrigin + performance.now();
}
