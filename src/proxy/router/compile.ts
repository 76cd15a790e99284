// compileRouteConfig: turns a RouteConfig of the snapshot into the table the proxy matches every
// request against. All the work that does not depend on the request happens here, once per
// snapshot: domains indexed, regexes built and anchored, header names lower-cased, weights summed,
// route names generated. Anything invalid throws a RouteConfigError naming the field, so the
// snapshot is rejected and the last good table keeps serving.
//
// Per request, match() does: one cache lookup for the virtual host, one indexOf('?'), then the
// routes of that host in order until one matches (first match wins, as in Envoy and Istio).
import type { RouteConfig, VirtualHost } from '../../model/snapshot.js';
import type { CompiledRoute, CompiledRouteTable, RouteInput } from './types.js';
import { VirtualHostSelector } from './vhost-select.js';
import { compileRouteMatch, type RouteMatcher } from './route-match.js';
import { CompiledRouteImpl } from './route.js';
import { FieldError, RouteConfigError } from './errors.js';

class CompiledVirtualHost {
  readonly name: string;
  private readonly matchers: RouteMatcher[];
  private readonly routes: CompiledRoute[];
  /** Some route matches the path by regex, which needs the path without query as a string. */
  private readonly needsBarePath: boolean;

  constructor(name: string, matchers: RouteMatcher[], routes: CompiledRoute[]) {
    this.name = name;
    this.matchers = matchers;
    this.routes = routes;
    this.needsBarePath = matchers.some((m) => m.needsBarePath);
  }

  match(input: RouteInput): CompiledRoute | undefined {
    const path = input.path;
    const q = path.indexOf('?');
    const end = q === -1 ? path.length : q;
    const bare = q !== -1 && this.needsBarePath ? path.slice(0, q) : path;
    const matchers = this.matchers;
    for (let i = 0; i < matchers.length; i++) {
      if (matchers[i].matches(input, end, q, bare)) return this.routes[i];
    }
    return undefined;
  }
}

class RouteTable implements CompiledRouteTable {
  readonly name: string;
  private readonly selector: VirtualHostSelector<CompiledVirtualHost>;

  constructor(name: string, selector: VirtualHostSelector<CompiledVirtualHost>) {
    this.name = name;
    this.selector = selector;
  }

  match(input: RouteInput): CompiledRoute | undefined {
    const vh = this.selector.select(input.authority);
    return vh === undefined ? undefined : vh.match(input);
  }
}

export function compileRouteConfig(rc: RouteConfig): CompiledRouteTable {
  try {
    const selector = new VirtualHostSelector<CompiledVirtualHost>();
    rc.virtualHosts.forEach((vh, i) => {
      const where = `virtualHosts[${i}]`;
      const compiled = compileVirtualHost(vh, where);
      vh.domains.forEach((d, j) => selector.add(d, compiled, `${where}.domains[${j}]`));
    });
    selector.seal();
    return new RouteTable(rc.name, selector);
  } catch (err) {
    if (err instanceof FieldError) throw new RouteConfigError(rc.name, err.path, err.reason);
    throw err;
  }
}

function compileVirtualHost(vh: VirtualHost, where: string): CompiledVirtualHost {
  const matchers: RouteMatcher[] = [];
  const routes: CompiledRoute[] = [];
  vh.routes.forEach((r, i) => {
    const rw = `${where}.routes[${i}]`;
    const matcher = compileRouteMatch(r.match, `${rw}.match`);
    const prefixLen = matcher.path !== undefined && matcher.path.kind === 'prefix' ? matcher.path.pattern.length : -1;
    matchers.push(matcher);
    routes.push(new CompiledRouteImpl(r, r.name ?? `${vh.name}/${i}`, vh.name, prefixLen, rw));
  });
  return new CompiledVirtualHost(vh.name, matchers, routes);
}
