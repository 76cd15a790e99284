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

/**
 * The configuration changes the bench applies, in order. A scoped change is a VirtualService or a
 * DestinationRule of one service exported only to its own namespace (exportTo: ["."]): it
 * changes the snapshots of that namespace's proxies and nobody else's. A mesh-wide change is a
 * VirtualService visible everywhere (the default exportTo): every proxy routes to that service,
 * so every snapshot changes; mesh-wide changes alternate a VirtualService and a DestinationRule.
 */
export function changes(topo, { scoped, global }) {
  const out = [];
  for (let i = 0; i < scoped; i++) {
    // Never svc-0000: the mesh-wide changes use it, and a VirtualService private to a namespace
    // outranks them there (Istio's exportTo precedence), which would hide their effect.
    const s = topo.services[1 + ((i * 7919) % (topo.services.length - 1))];
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
    out.push({ kind: 'scoped', label: `${resource.kind} ${s.namespace}/${s.name} (exportTo .)`, resource, affected: { namespace: s.namespace } });
  }
  for (let i = 0; i < global; i++) {
    // Alternate the two kinds users change most: a VirtualService (routing) and a DestinationRule
    // (traffic policy), both visible everywhere. The control plane updates the two differently.
    const s = topo.services[0];
    const meta = { name: `${s.name}-mesh-wide`, namespace: s.namespace };
    const resource =
      i % 2 === 0
        ? {
            apiVersion: 'networking.istio.io/v1',
            kind: 'VirtualService',
            metadata: meta,
            spec: { hosts: [s.name], http: [{ timeout: `${10 + i}s`, route: [{ destination: { host: s.name } }] }] },
          }
        : {
            apiVersion: 'networking.istio.io/v1',
            kind: 'DestinationRule',
            metadata: meta,
            spec: { host: s.name, trafficPolicy: { connectionPool: { http: { http1MaxPendingRequests: 500 + i } } } },
          };
    out.push({ kind: 'mesh-wide', label: `${resource.kind} ${s.namespace}/${s.name} (every namespace)`, resource, affected: 'all' });
  }
  return out;
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
