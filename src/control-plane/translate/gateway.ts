// A gateway proxy's listeners and route tables from its listener groups (gateway-servers.ts):
// HTTP servers get a route table (gateway-routes.ts), TLS terminated with the listener's
// certificates or mesh mTLS (ISTIO_MUTUAL); PASSTHROUGH servers get SNI routes
// (gateway-passthrough.ts). A port that only passes TLS through is opaque TCP.
import type { Listener, RouteConfig } from '../../model/snapshot.js';
import type { Context } from './context.js';
import { passthroughRoutes } from './gateway-passthrough.js';
import { gatewayRouteConfig } from './gateway-routes.js';
import { listenerGroups } from './gateway-servers.js';
import type { GatewayNode } from './types.js';

export function gatewayParts(ctx: Context, node: GatewayNode): { listeners: Listener[]; routeConfigs: RouteConfig[] } {
  const groups = listenerGroups(ctx, node);
  if (groups.length === 0) ctx.warnings.add(`gateway ${node.namespace}/${node.name}: no Gateway selects its labels; it has no listeners`);
  const listeners: Listener[] = [];
  const routeConfigs: RouteConfig[] = [];
  for (const g of groups) {
    const http = g.servers.length > 0;
    const base = { name: g.name, address: g.address, port: g.port, direction: 'gateway' as const };
    const sniRoutes = g.passthrough.length > 0 ? { sniRoutes: passthroughRoutes(ctx, node, g) } : {};
    const security = g.family === 'mesh' ? { mtls: { mode: 'STRICT' as const } } : g.tls ? { tls: g.tls } : {};
    listeners.push(http ? { ...base, protocol: 'detect', routeConfig: g.name, ...security, ...sniRoutes } : { ...base, protocol: 'tcp', ...security, ...sniRoutes });
    if (http) routeConfigs.push(gatewayRouteConfig(ctx, node, g, groups));
  }
  return { listeners, routeConfigs };
}
