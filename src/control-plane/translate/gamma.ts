// GAMMA: Gateway API routes whose parent is a Service apply to requests for that service from
// sidecars, like a VirtualService for its host.
//
// A route in the service's namespace is the producer's and applies to every client; a route in
// the client's own namespace is a consumer route and, where there is one, replaces the producer's
// routes for that client (GAMMA: consumer routes take precedence). Routes in any other namespace
// do not apply.
import type { ParentReference } from '../../api/gateway-api-common.js';
import type { CatalogPort, CatalogService } from './catalog.js';
import type { Context } from './context.js';
import type { AttachedRoute } from './gateway-api-routes.js';

type Parented = { readonly route: AttachedRoute['route']; readonly age: number; readonly parents: readonly ParentReference[] };
const byParent = new WeakMap<Context, Map<string, Parented[]>>();

/** Routes with a Service parent, by `namespace/name` of that Service: built once per translation. */
function routesByParent(ctx: Context): Map<string, Parented[]> {
  let index = byParent.get(ctx);
  if (index !== undefined) return index;
  index = new Map();
  for (const { resource: route, age } of [...ctx.index.httpRoutes, ...ctx.index.grpcRoutes]) {
    const parents = (route.spec.parentRefs ?? []).filter(isServiceParent);
    for (const key of new Set(parents.map((p) => `${p.namespace ?? route.metadata.namespace}/${p.name}`))) {
      index.set(key, [...(index.get(key) ?? []), { route, age, parents }]);
    }
  }
  byParent.set(ctx, index);
  return index;
}

export function gammaRoutesFor(ctx: Context, service: CatalogService, port: CatalogPort): AttachedRoute[] {
  const source = service.source;
  if (source.kind !== 'registry') return [];
  const { name } = source.service;
  const attached = (routesByParent(ctx).get(`${service.namespace}/${name}`) ?? [])
    .filter(({ route, parents }) => parents.some((p) => refersTo(p, route.metadata.namespace, name, service.namespace, port)))
    .map(({ route, age }) => ({ route, age }));
  const consumer = attached.filter((a) => a.route.metadata.namespace === ctx.proxy.namespace && ctx.proxy.namespace !== service.namespace);
  const chosen = consumer.length > 0 ? consumer : attached.filter((a) => a.route.metadata.namespace === service.namespace);
  return chosen.sort((a, b) => a.age - b.age);
}

/** A Service parent: kind Service of the core group ("" — also accepted unset, as no other API group has a Service kind). */
export function isServiceParent(p: ParentReference): boolean {
  return p.kind === 'Service' && (p.group === undefined || p.group === '' || p.group === 'core');
}

function refersTo(p: ParentReference, routeNs: string, name: string, namespace: string, port: CatalogPort): boolean {
  if (p.name !== name || (p.namespace ?? routeNs) !== namespace) return false;
  if (p.port !== undefined && p.port !== port.port) return false;
  return p.sectionName === undefined || p.sectionName === port.name;
}
