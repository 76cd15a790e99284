// A gateway's TLS passthrough routes (Istio's PASSTHROUGH servers): the VirtualServices bound to
// the Gateway whose `tls` rules match the server by SNI name (and port, gateways, sourceLabels)
// send the connection, still encrypted, to their destinations; the backend terminates TLS.
// VirtualServices bind as for HTTP (gateway-routes.ts): named in `gateways`, exported to the
// gateway's namespace, allowed by the server's `namespace/host`, a host intersecting the
// server's. Oldest first; the first route naming a server name wins, as in Istio.
import type { SniRoute } from '../../model/snapshot.js';
import type { Context } from './context.js';
import { destinationCluster } from './destinations.js';
import { hostIntersection, resolveHost } from './hosts.js';
import type { ListenerGroup, ServerRef } from './gateway-servers.js';
import { bindsTo, splitServerHost } from './gateway-routes.js';
import type { GatewayNode } from './types.js';
import { boundGateways, selects } from './visibility.js';
import { describe } from './warnings.js';

export function passthroughRoutes(ctx: Context, node: GatewayNode, group: ListenerGroup): SniRoute[] {
  const routes: SniRoute[] = [];
  for (const ref of group.passthrough) {
    let matched = false;
    for (const { resource: vs } of ctx.index.virtualServices) {
      const ns = vs.metadata.namespace;
      if (!bindsTo(vs, ref, node)) continue;
      const serverHosts = ref.server.hosts
        .map((h) => splitServerHost(h, ref.gateway.metadata.namespace))
        .filter((h) => h.namespace === '*' || h.namespace === ns)
        .map((h) => h.host);
      if (!(vs.spec.hosts ?? []).some((h) => serverHosts.some((s) => hostIntersection(resolveHost(h, ns), s) !== undefined))) continue;
      (vs.spec.tls ?? []).forEach((rule, i) => {
        const path = `spec.tls[${i}]`;
        rule.match.forEach((m, j) => {
          if (m.port !== undefined && m.port !== ref.server.port.number) return;
          if (m.gateways !== undefined && !boundGateways(m.gateways, ns).includes(ref.gatewayName)) return;
          if (m.sourceLabels !== undefined && !selects(m.sourceLabels, node.labels)) return;
          for (const field of ['destinationSubnets', 'sourceNamespace'] as const) {
            if (m[field] !== undefined) ctx.warnings.at(vs, `${path}.match[${j}].${field}`, 'not supported at a gateway yet; ignored');
          }
          const names = [...new Set(m.sniHosts.flatMap((sni) => serverHosts.map((s) => hostIntersection(sni.toLowerCase(), s)).filter((n): n is string => n !== undefined)))];
          if (names.length === 0) {
            ctx.warnings.at(vs, `${path}.match[${j}].sniHosts`, `none of ${m.sniHosts.join(', ')} is a host of ${describe(ref.gateway)} ${ref.path}; the match never applies there`);
            return;
          }
          const route = rule.route ?? [];
          if (route.length === 0) {
            ctx.warnings.at(vs, `${path}.route`, 'no destination; connections matching it are closed');
            return;
          }
          matched = true;
          const destinations = route.map((r, k) => {
            const where = { resource: vs, path: `${path}.route[${k}].destination` };
            const d = r.destination;
            const cluster = destinationCluster(ctx, { host: d.host, subset: d.subset, port: d.port?.number }, ns, ref.server.port.number, where, false, 'connections routed there are closed');
            return r.weight !== undefined ? { cluster, weight: r.weight } : { cluster };
          });
          routes.push({ serverNames: names, destinations });
        });
      });
    }
    if (!matched) noRouteWarning(ctx, ref, group.servers.length > 0);
  }
  return routes;
}

function noRouteWarning(ctx: Context, ref: ServerRef, portTerminates: boolean): void {
  // An unclaimed name on a port that also terminates TLS falls through to termination (passthrough-table.ts).
  const fate = portTerminates ? 'its connections are terminated with the port\'s other certificates' : 'its connections are closed';
  ctx.warnings.at(ref.gateway, ref.path, `PASSTHROUGH: no VirtualService bound to ${ref.gatewayName} has a tls route for its hosts; ${fate}`);
}
