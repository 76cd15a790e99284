// A sidecar's inbound side: the listener other sidecars send this workload's traffic to, which
// hands every request (and any opaque TCP connection) to the app on loopback. PeerAuthentication
// decides whether it requires mTLS (STRICT), also accepts plaintext (PERMISSIVE) or takes
// plaintext only (DISABLE: no `mtls` on the listener).
import type { Cluster, Listener, RouteConfig } from '../../model/snapshot.js';
import type { Context } from './context.js';
import { serviceByName, workloadById } from './registry-index.js';
import type { SidecarNode } from './types.js';

export const INBOUND_ROUTE_CONFIG = 'inbound';

export function inboundParts(ctx: Context, node: SidecarNode): { listener: Listener; routeConfig?: RouteConfig } | undefined {
  const workload = workloadById(ctx.registry, node.workloadId);
  if (workload === undefined) {
    ctx.warnings.add(`sidecar ${node.workloadId}: the workload is not in the registry; no inbound listener until it registers`);
    return undefined;
  }
  if (workload.inboundPort !== node.ports.inbound) {
    ctx.warnings.add(
      `sidecar ${node.workloadId}: the registry says its inbound port is ${workload.inboundPort}, the proxy listens on ${node.ports.inbound}; other sidecars send to ${workload.inboundPort}`,
    );
  }
  const protocol = appProtocol(ctx, workload.service, workload.namespace);
  const cluster = ctx.clusters.inbound(workload.appPort, protocol);
  const mode = ctx.peers.modeFor(workload, ctx.warnings);
  const base = {
    name: 'inbound',
    address: bindAddress(workload.address),
    port: node.ports.inbound,
    direction: 'inbound' as const,
    ...(mode === 'DISABLE' ? {} : { mtls: { mode } }),
  };
  if (protocol === 'tcp') return { listener: { ...base, protocol: 'tcp', tcpCluster: cluster } };
  return {
    // Detection: HTTP is routed (and will be authorized and measured per request); anything else
    // is passed through to the app as TCP, as a transparent sidecar must.
    listener: { ...base, protocol: 'detect', routeConfig: INBOUND_ROUTE_CONFIG, tcpCluster: cluster },
    routeConfig: {
      name: INBOUND_ROUTE_CONFIG,
      // No retries or timeout inbound: the calling sidecar owns those (as in Istio).
      virtualHosts: [{ name: 'inbound', domains: ['*'], routes: [{ name: 'inbound', forward: { destinations: [{ cluster }] } }] }],
    },
  };
}

/** HTTP/2 when every port of the service says HTTP/2 or gRPC; TCP when every one says TCP. */
function appProtocol(ctx: Context, name: string, namespace: string): Cluster['protocol'] {
  const service = serviceByName(ctx.registry, namespace, name);
  const protocols = (service?.ports ?? []).map((p) => p.protocol);
  if (protocols.length === 0) return undefined;
  if (protocols.every((p) => p === 'http2' || p === 'grpc')) return 'http2';
  if (protocols.every((p) => p === 'tcp')) return 'tcp';
  return undefined;
}

/**
 * A loopback workload (local mode without isolation) is reached on loopback only; any other
 * address is its own network namespace or pod, where traffic may arrive on any local address.
 */
function bindAddress(address: string): string {
  return address === 'localhost' || address === '::1' || address.startsWith('127.') ? address : '0.0.0.0';
}
