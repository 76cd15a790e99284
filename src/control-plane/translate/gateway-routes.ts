// A gateway proxy's route tables: for each listener, one virtual host per host name its servers
// accept and some route claims.
//
// - A VirtualService applies when its `gateways` names the Gateway, it is exported to the
//   gateway's namespace, the server's `namespace/host` allows its namespace, and one of its hosts
//   intersects a server host (the virtual host is the more specific of the two names).
// - Several VirtualServices for one host are merged, oldest first, as Istio does for gateways;
//   catch-all routes go last so a later, more specific route stays reachable.
// - HTTPRoutes and GRPCRoutes whose parentRef names the Gateway (maille reads the Istio Gateway
//   as the Gateway API parent; sectionName is the server's name or its port's name, port its port) are added after
//   them, in Gateway API precedence order.
// - A plain-HTTP server with tls.httpsRedirect answers every request with a redirect to https,
//   on the port of the HTTPS server for that host when this gateway has one (local mode's
//   gateways listen on their declared ports, so "same port, https" would be wrong).
// Hosts no route claims get no virtual host: requests for them get 404, as in Istio.
import type { ParentReference } from '../../api/gateway-api-common.js';
import type { VirtualService } from '../../api/virtual-service.js';
import type { Route, RouteConfig } from '../../model/snapshot.js';
import type { Context } from './context.js';
import { DomainClaims } from './domains.js';
import { gatewayApiRoutes, type AttachedRoute } from './gateway-api-routes.js';
import { hostIntersection, resolveHost } from './hosts.js';
import { isCatchAll, virtualServiceRoutes } from './istio-routes.js';
import type { GatewayNode } from './types.js';
import type { ListenerGroup, ServerRef } from './gateway-servers.js';
import { boundGateways, isVisible } from './visibility.js';

interface HostRoutes {
  /** Redirect to https (on this port when given). */
  readonly redirect: { readonly port: number | undefined } | undefined;
  readonly virtualServices: VirtualService[];
  readonly scopes: Map<VirtualService, ServerRef>;
  readonly attached: AttachedRoute[];
}

/** @param all every listener of the gateway, to find where a redirect to https should point */
export function gatewayRouteConfig(ctx: Context, node: GatewayNode, group: ListenerGroup, all: readonly ListenerGroup[]): RouteConfig {
  const hosts = new Map<string, HostRoutes>();
  const entry = (host: string, ref: ServerRef): HostRoutes => {
    let e = hosts.get(host);
    if (e === undefined) {
      const redirect = group.family === 'plain' && ref.server.tls?.httpsRedirect === true ? { port: httpsPort(all, host) } : undefined;
      hosts.set(host, (e = { redirect, virtualServices: [], scopes: new Map(), attached: [] }));
    }
    return e;
  };
  for (const ref of group.servers) {
    for (const written of ref.server.hosts) {
      const { namespace, host } = splitServerHost(written, ref.gateway.metadata.namespace);
      for (const { resource: vs } of ctx.index.virtualServices) {
        if (!bindsTo(vs, ref, node)) continue;
        if (namespace !== '*' && namespace !== vs.metadata.namespace) continue;
        for (const h of vs.spec.hosts ?? []) {
          const common = hostIntersection(resolveHost(h, vs.metadata.namespace), host);
          if (common === undefined) continue;
          const e = entry(common, ref);
          if (!e.virtualServices.includes(vs)) {
            e.virtualServices.push(vs);
            e.scopes.set(vs, ref);
          }
        }
      }
      for (const { resource: route, age } of [...ctx.index.httpRoutes, ...ctx.index.grpcRoutes]) {
        if (!(route.spec.parentRefs ?? []).some((p) => refersTo(p, route.metadata.namespace, ref))) continue;
        if (namespace !== '*' && namespace !== route.metadata.namespace) continue;
        const names = route.spec.hostnames && route.spec.hostnames.length > 0 ? route.spec.hostnames : ['*'];
        for (const n of names) {
          const common = hostIntersection(n.toLowerCase(), host);
          if (common === undefined) continue;
          const e = entry(common, ref);
          if (!e.attached.some((a) => a.route === route)) e.attached.push({ route, age });
        }
      }
    }
  }
  const claims = new DomainClaims(group.name, ctx.warnings);
  const virtualHosts = [...hosts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([host, e]) => ({ name: host, domains: claims.claim(host, [host]), routes: hostRoutes(ctx, e) }))
    .filter((vh) => vh.domains.length > 0);
  return { name: group.name, virtualHosts };
}

function hostRoutes(ctx: Context, e: HostRoutes): Route[] {
  if (e.redirect) {
    const port = e.redirect.port === undefined || e.redirect.port === 443 ? {} : { port: e.redirect.port };
    return [{ name: 'https-redirect', redirect: { scheme: 'https', ...port, status: 301 } }];
  }
  const fromVs = e.virtualServices.flatMap((vs) => {
    const ref = e.scopes.get(vs) as ServerRef;
    return virtualServiceRoutes(ctx, vs, { port: ref.server.port.number, gateways: new Set([ref.gatewayName]) });
  });
  // Istio's SortVHostRoutes: catch-alls last, the rest in order.
  const ordered = [...fromVs.filter((r) => !isCatchAll(r.match)), ...fromVs.filter((r) => isCatchAll(r.match))];
  return [...ordered, ...gatewayApiRoutes(ctx, [...e.attached].sort((a, b) => a.age - b.age))];
}

/** The port of a TLS listener with a server for `host`, if any. */
function httpsPort(all: readonly ListenerGroup[], host: string): number | undefined {
  const group = all.find((g) => g.tls !== undefined && g.servers.some((s) => s.server.hosts.some((h) => hostIntersection(splitServerHost(h, '').host, host) !== undefined)));
  return group?.port;
}

/**
 * A VirtualService binds to a gateway server when it names the server's Gateway and is exported to
 * the gateway's namespace (HTTP routes here, TLS passthrough routes in gateway-passthrough.ts).
 */
export function bindsTo(vs: VirtualService, ref: ServerRef, node: GatewayNode): boolean {
  const ns = vs.metadata.namespace;
  return boundGateways(vs.spec.gateways, ns).includes(ref.gatewayName) && isVisible(vs.spec.exportTo, ns, node.namespace);
}

/** `ns/host`: `*` any namespace, `.` the Gateway's; a bare host means any namespace. */
export function splitServerHost(written: string, gatewayNs: string): { namespace: string; host: string } {
  const slash = written.indexOf('/');
  if (slash === -1) return { namespace: '*', host: written.toLowerCase() };
  const ns = written.slice(0, slash);
  return { namespace: ns === '.' ? gatewayNs : ns, host: written.slice(slash + 1).toLowerCase() };
}

/** A Gateway API parentRef naming this Istio Gateway (and this server, by name or port). */
function refersTo(p: ParentReference, routeNs: string, ref: ServerRef): boolean {
  const kind = p.kind ?? 'Gateway';
  const group = p.group ?? 'gateway.networking.k8s.io';
  if (kind !== 'Gateway' || (group !== 'gateway.networking.k8s.io' && group !== 'networking.istio.io')) return false;
  if (p.name !== ref.gateway.metadata.name || (p.namespace ?? routeNs) !== ref.gateway.metadata.namespace) return false;
  // An Istio server's `name` is optional, so its port's name counts as the section name too.
  if (p.sectionName !== undefined && p.sectionName !== ref.server.name && p.sectionName !== ref.server.port.name) return false;
  return p.port === undefined || p.port === ref.server.port.number;
}
