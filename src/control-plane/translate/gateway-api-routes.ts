// Gateway API routes (HTTPRoute, GRPCRoute) attached to one parent → the proxy's routes, in
// Gateway API precedence order (gateway-api-match.ts), whether the parent is a Service (GAMMA,
// sidecars) or a Gateway (gateway proxies).
//
// Failures follow the spec: a rule whose backends all have weight 0 or none is valid answers 500;
// a rule without backends 503; an invalid backend among valid ones keeps its share of traffic
// and fails it (503 from the proxy's empty cluster, where the spec says 500).
import type { GRPCRoute } from '../../api/grpc-route.js';
import type { HTTPRoute } from '../../api/http-route.js';
import type { ForwardAction, Mirror, Route, RouteMatch, WeightedDestination } from '../../model/snapshot.js';
import { serviceFqdn } from '../registry/hostnames.js';
import type { Context } from './context.js';
import { destinationCluster, type Where } from './destinations.js';
import { collectFilters, pathChange, redirectAction, type AnyFilter, type FilterParts, type MirrorFilter } from './gateway-api-filters.js';
import { expandPath, grpcMatch, httpMatch, type MatchSpec } from './gateway-api-match.js';
import { compareKeys } from './order.js';
import { ms } from './policies.js';
import { defaultRetry } from './retries.js';

export interface AttachedRoute {
  readonly route: HTTPRoute | GRPCRoute;
  readonly age: number;
}

type Rule = NonNullable<HTTPRoute['spec']['rules']>[number] | NonNullable<GRPCRoute['spec']['rules']>[number];
type Backend = NonNullable<Rule['backendRefs']>[number];
type Variant = 'exact-prefix' | 'prefix' | 'other';

interface Entry {
  readonly attached: AttachedRoute;
  readonly ruleIndex: number;
  readonly spec: MatchSpec;
  readonly key: readonly number[];
}

export function gatewayApiRoutes(ctx: Context, attached: readonly AttachedRoute[]): Route[] {
  const entries: Entry[] = [];
  for (const a of attached) {
    rulesOf(a.route).forEach((rule, i) => {
      const matches: readonly (object | undefined)[] = rule.matches && rule.matches.length > 0 ? rule.matches : [undefined];
      matches.forEach((m, j) => {
        const problems: [string, string][] = [];
        const spec = a.route.kind === 'GRPCRoute' ? grpcMatch(m as Parameters<typeof grpcMatch>[0], problems) : httpMatch(m as Parameters<typeof httpMatch>[0], problems);
        if (problems.length > 0) {
          for (const [field, message] of problems) ctx.warnings.at(a.route, `spec.rules[${i}].matches[${j}].${field}`, `${message}; this match is skipped`);
          return;
        }
        entries.push({ attached: a, ruleIndex: i, spec, key: [...spec.key, a.age, i, j] });
      });
    });
  }
  entries.sort((x, y) => compareKeys(x.key, y.key));

  const out: Route[] = [];
  const actions = new Map<string, RuleAction>();
  for (const e of entries) {
    const { route } = e.attached;
    const id = `${e.attached.age}/${e.ruleIndex}`;
    let action = actions.get(id);
    if (action === undefined) actions.set(id, (action = ruleAction(ctx, route, e.ruleIndex)));
    const name = `${route.metadata.namespace}/${route.metadata.name}/${rulesOf(route)[e.ruleIndex].name ?? e.ruleIndex}`;
    for (const { match, variant } of expandPath(e.spec.path, action.needsRoot)) {
      const m: RouteMatch = { ...(match !== undefined ? { path: match } : {}), ...e.spec.rest };
      out.push({ name, ...(Object.keys(m).length > 0 ? { match: m } : {}), ...action.forVariant(variant) });
    }
  }
  return out;
}

/** Gateway API's default for a route without rules: one rule matching every path, no backends. */
function rulesOf(route: HTTPRoute | GRPCRoute): readonly Rule[] {
  const rules: readonly Rule[] | undefined = route.spec.rules;
  return rules !== undefined && rules.length > 0 ? rules : [{}];
}

interface RuleAction {
  /** A prefix rewrite or redirect must tell the path "/" apart from the rest. */
  readonly needsRoot: boolean;
  forVariant(variant: Variant): Omit<Route, 'name' | 'match'>;
}

function ruleAction(ctx: Context, route: HTTPRoute | GRPCRoute, i: number): RuleAction {
  const rule = rulesOf(route)[i];
  const at = `spec.rules[${i}]`;
  const warn = (field: string, message: string) => ctx.warnings.at(route, `${at}.${field}`, message);
  const filters = collectFilters(rule.filters as readonly AnyFilter[] | undefined, (k, field, message) => warn(`filters[${k}].${field}`, message));
  const headers = {
    ...(filters.requestHeaders ? { requestHeaders: filters.requestHeaders } : {}),
    ...(filters.responseHeaders ? { responseHeaders: filters.responseHeaders } : {}),
  };
  const fixed = (action: Omit<Route, 'name' | 'match'>): RuleAction => ({ needsRoot: false, forVariant: () => action });
  const label = `${route.kind} ${route.metadata.namespace}/${route.metadata.name} rule ${rule.name ?? i}`;

  if (filters.unsupported !== undefined) return fixed({ direct: { status: 500, body: `${label}: ${filters.unsupported}\n` } });
  const redirect = filters.redirect;
  if (redirect !== undefined) {
    return {
      needsRoot: redirect.path?.type === 'ReplacePrefixMatch',
      forVariant: (variant) => ({ redirect: redirectAction(redirect, variant, (m) => warn('filters', m)), ...headers }),
    };
  }
  const base = forwardBase(ctx, route, rule, at, filters, label);
  if (!('forward' in base)) return fixed({ ...base, ...headers });
  const forward = base.forward;
  const rw = filters.urlRewrite;
  return {
    needsRoot: rw?.path?.type === 'ReplacePrefixMatch',
    forVariant: (variant) => {
      const path = rw?.path ? pathChange(rw.path, variant, (m) => warn('filters', m)) : undefined;
      const rewrite = { ...(path ?? {}), ...(rw?.hostname ? { authority: rw.hostname } : {}) };
      return { forward: { ...forward, ...(Object.keys(rewrite).length > 0 ? { rewrite } : {}) }, ...headers };
    },
  };
}

function forwardBase(
  ctx: Context,
  route: HTTPRoute | GRPCRoute,
  rule: Rule,
  at: string,
  filters: FilterParts,
  label: string,
): { forward: ForwardAction } | { direct: NonNullable<Route['direct']> } {
  const backends = (rule.backendRefs ?? []).map((b, k) => ({ b, k }));
  if (backends.length === 0) return { direct: { status: 503, body: `${label} has no backend\n` } };
  const live = backends.filter(({ b }) => (b.weight ?? 1) > 0);
  if (live.length === 0) return { direct: { status: 500, body: `${label}: every backend has weight 0\n` } };
  const http2 = route.kind === 'GRPCRoute';
  const destinations = live.map(({ b, k }): WeightedDestination => {
    const where = { resource: route, path: `${at}.backendRefs[${k}]` };
    const cluster = backendCluster(ctx, b, route.metadata.namespace, where, http2);
    const own = collectFilters(b.filters as readonly AnyFilter[] | undefined, (n, field, message) => ctx.warnings.at(route, `${where.path}.filters[${n}].${field}`, message));
    own.mirrors.forEach(({ index }) => ctx.warnings.at(route, `${where.path}.filters[${index}]`, 'a mirror per backend is not supported; ignored'));
    if (own.redirect || own.urlRewrite) ctx.warnings.at(route, `${where.path}.filters`, 'redirects and rewrites per backend are not supported; ignored');
    return {
      cluster,
      ...(live.length > 1 ? { weight: b.weight ?? 1 } : {}),
      ...(own.requestHeaders ? { requestHeaders: own.requestHeaders } : {}),
      ...(own.responseHeaders ? { responseHeaders: own.responseHeaders } : {}),
    };
  });
  const timeouts = 'timeouts' in rule ? rule.timeouts : undefined;
  const timeoutMs = timeouts?.request !== undefined ? ms(timeouts.request) : 0;
  const perTryMs = timeouts?.backendRequest !== undefined ? ms(timeouts.backendRequest) : undefined;
  const mirrors = filters.mirrors.map(({ filter, index }) => mirror(ctx, route, filter, `${at}.filters[${index}].requestMirror.backendRef`, http2));
  return {
    forward: {
      destinations,
      ...(timeoutMs > 0 ? { timeoutMs } : {}),
      // Gateway API routes get Istio's default retries too (they are outbound routes like any other).
      retry: defaultRetry(perTryMs),
      ...(mirrors.length > 0 ? { mirrors } : {}),
    },
  };
}

function mirror(ctx: Context, route: HTTPRoute | GRPCRoute, m: MirrorFilter, path: string, http2: boolean): Mirror {
  const cluster = backendCluster(ctx, m.backendRef, route.metadata.namespace, { resource: route, path }, http2, 'mirrored copies go nowhere');
  const percent = m.percent ?? (m.fraction ? (100 * m.fraction.numerator) / (m.fraction.denominator ?? 100) : 100);
  return percent >= 100 ? { cluster } : { cluster, percent: Math.max(0, percent) };
}

/**
 * A backendRef → cluster: a Service (the default kind), or, as Istio allows, a ServiceEntry host
 * (group networking.istio.io, kind Hostname). Other kinds get an empty cluster and a warning.
 */
export function backendCluster(
  ctx: Context,
  ref: Pick<Backend, 'group' | 'kind' | 'name' | 'namespace' | 'port'>,
  routeNs: string,
  where: Where,
  http2: boolean,
  consequence?: string,
): string {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Service';
  if ((group === '' || group === 'core') && kind === 'Service') {
    return destinationCluster(ctx, { host: serviceFqdn(ref.name, ref.namespace ?? routeNs), port: ref.port }, routeNs, undefined, where, http2, consequence);
  }
  if (group === 'networking.istio.io' && kind === 'Hostname') {
    return destinationCluster(ctx, { host: ref.name, port: ref.port }, routeNs, undefined, where, http2, consequence);
  }
  const then = consequence ?? 'requests routed there fail with 503';
  ctx.warnings.at(where.resource, where.path, `backend kind ${group === '' ? '' : `${group}/`}${kind} is not supported (Service, or networking.istio.io/Hostname); ${then}`);
  return ctx.clusters.missing(ref.name, ref.port ?? 80, undefined);
}
