// A VirtualService's http rules → the proxy's routes, for one virtual host of one proxy.
//
// As Istio does (pilot/pkg/networking/core/route):
// - each match entry of a rule becomes its own route with the rule's action (entries are ORed);
//   a rule without matches matches everything;
// - entries for another port, or whose sourceLabels / sourceNamespace / gateways exclude this
//   proxy, are left out for it;
// - after a catch-all route nothing else can match, so the remaining rules are not emitted;
// - no route is added after the rules: a request none matches gets 404, as in Istio.
import type { VirtualService, VirtualServiceHttpRoute } from '../../api/virtual-service.js';
import type { ForwardAction, Mirror, Route, RouteMatch, WeightedDestination } from '../../model/snapshot.js';
import type { Context } from './context.js';
import { destinationCluster } from './destinations.js';
import { directResponse, fault, headerMutation, redirect, rewrite, type Report } from './istio-actions.js';
import { translateMatch, type HttpMatchRequest } from './istio-match.js';
import { ms } from './policies.js';
import { retryPolicy } from './retries.js';
import { qualifyGateway, selects } from './visibility.js';

export interface RouteScope {
  /** The port requests arrive for: the service port (sidecar), the server port (gateway). */
  readonly port: number | undefined;
  /** Gateways this proxy answers for, as VirtualServices name them: `mesh` for a sidecar, `ns/name` for a gateway. */
  readonly gateways: ReadonlySet<string>;
}

type Action = Omit<Route, 'name' | 'match'>;

export function virtualServiceRoutes(ctx: Context, vs: VirtualService, scope: RouteScope): Route[] {
  const out: Route[] = [];
  const http = vs.spec.http ?? [];
  for (let i = 0; i < http.length; i++) {
    const rule = http[i];
    const at = `spec.http[${i}]`;
    if (rule.delegate !== undefined) {
      ctx.warnings.at(vs, `${at}.delegate`, 'delegate VirtualServices are not supported yet; the rule is skipped');
      continue;
    }
    let action: Action | null | undefined; // built on first use, so rules that never apply here say nothing
    const entries: (HttpMatchRequest | undefined)[] = rule.match ?? [undefined];
    for (let j = 0; j < entries.length; j++) {
      const m = entries[j];
      if (!appliesTo(ctx, vs, m, scope)) continue;
      const match = m === undefined ? undefined : translateMatch(m, (field, message) => ctx.warnings.at(vs, `${at}.match[${j}].${field}`, message));
      if (match === null) continue;
      action ??= buildAction(ctx, vs, rule, at, scope);
      if (action === null) break;
      const name = `${vs.metadata.namespace}/${vs.metadata.name}/${rule.name ?? i}${m?.name ? `.${m.name}` : ''}`;
      out.push({ name, ...(match !== undefined ? { match } : {}), ...action });
      if (isCatchAll(match)) return out;
    }
  }
  return out;
}

/** Istio's sourceMatchHTTP plus the port: whether this entry is for this proxy and port at all. */
function appliesTo(ctx: Context, vs: VirtualService, m: HttpMatchRequest | undefined, scope: RouteScope): boolean {
  if (m === undefined) return true;
  if (m.port !== undefined && scope.port !== undefined && m.port !== scope.port) return false;
  if (m.gateways !== undefined && m.gateways.length > 0) return m.gateways.some((g) => scope.gateways.has(qualifyGateway(g, vs.metadata.namespace)));
  return selects(m.sourceLabels, ctx.proxy.labels) && (m.sourceNamespace === undefined || m.sourceNamespace === '' || m.sourceNamespace === ctx.proxy.namespace);
}

/** A route nothing can get past: no condition, or only "any path". */
export function isCatchAll(match: RouteMatch | undefined): boolean {
  if (match === undefined) return true;
  const keys = Object.keys(match);
  if (keys.length !== 1 || match.path === undefined) return false;
  return ('prefix' in match.path && match.path.prefix === '/') || ('regex' in match.path && match.path.regex === '.*');
}

/** null: the rule cannot be given at all (reported). */
function buildAction(ctx: Context, vs: VirtualService, rule: VirtualServiceHttpRoute, at: string, scope: RouteScope): Action | null {
  const report =
    (path: string): Report =>
    (field, message) =>
      ctx.warnings.at(vs, `${path}.${field}`, message);
  if (rule.corsPolicy !== undefined) report(at)('corsPolicy', 'CORS is not supported by the proxy yet; ignored');
  const req = headerMutation(rule.headers?.request, report(`${at}.headers.request`));
  const res = headerMutation(rule.headers?.response, report(`${at}.headers.response`));
  const f = fault(rule.fault, report(`${at}.fault`));
  const extras: Pick<Route, 'requestHeaders' | 'responseHeaders' | 'fault'> = {
    ...(req.mutation ? { requestHeaders: req.mutation } : {}),
    ...(res.mutation ? { responseHeaders: res.mutation } : {}),
    ...(f ? { fault: f } : {}),
  };
  if (rule.redirect !== undefined) {
    const r = redirect(rule.redirect, scope.port, report(`${at}.redirect`));
    return r === undefined ? null : { redirect: r, ...extras };
  }
  if (rule.directResponse !== undefined) return { direct: directResponse(rule.directResponse), ...extras };
  return { forward: forwardAction(ctx, vs, rule, at, scope, req.authority, report), ...extras };
}

function forwardAction(
  ctx: Context,
  vs: VirtualService,
  rule: VirtualServiceHttpRoute,
  at: string,
  scope: RouteScope,
  headerAuthority: string | undefined,
  report: (path: string) => Report,
): ForwardAction {
  const ns = vs.metadata.namespace;
  const all = (rule.route ?? []).map((d, k) => ({ d, k }));
  // Istio: with several destinations, one of weight 0 (or none written) gets no traffic; a lone
  // destination gets it all whatever its weight.
  let chosen = all.length === 1 ? all : all.filter(({ d }) => (d.weight ?? 0) > 0);
  const weighted = all.length > 1;
  if (chosen.length === 0) {
    report(at)('route', 'no destination has a weight above 0; traffic is split evenly');
    chosen = all.map(({ d, k }) => ({ d: { ...d, weight: 1 }, k }));
  }
  let authority = headerAuthority;
  const destinations = chosen.map(({ d, k }): WeightedDestination => {
    const path = `${at}.route[${k}]`;
    const cluster = destinationCluster(ctx, { host: d.destination.host, subset: d.destination.subset, port: d.destination.port?.number }, ns, scope.port, {
      resource: vs,
      path: `${path}.destination`,
    });
    const req = headerMutation(d.headers?.request, report(`${path}.headers.request`));
    const res = headerMutation(d.headers?.response, report(`${path}.headers.response`));
    if (req.authority !== undefined) {
      // Istio: a destination's host rewrite applies unless the route sets one. The snapshot has no
      // per-destination rewrite, so it is honoured for a lone destination only.
      if (chosen.length === 1) authority ??= req.authority;
      else report(`${path}.headers.request`)('set', 'rewriting the host per destination is not supported yet; ignored');
    }
    return {
      cluster,
      ...(weighted ? { weight: d.weight ?? 1 } : {}),
      ...(req.mutation ? { requestHeaders: req.mutation } : {}),
      ...(res.mutation ? { responseHeaders: res.mutation } : {}),
    };
  });
  const timeoutMs = rule.timeout !== undefined ? ms(rule.timeout) : 0;
  const retry = retryPolicy(rule.retries, report(`${at}.retries`));
  const mirrors = mirrorsOf(ctx, vs, rule, at, scope);
  const rw = rewrite(rule.rewrite, report(`${at}.rewrite`));
  if (rw.authority !== undefined) authority = rw.authority;
  const rewriteOut = { ...(rw.pathPrefix !== undefined ? { pathPrefix: rw.pathPrefix } : {}), ...(authority !== undefined ? { authority } : {}) };
  return {
    destinations,
    ...(timeoutMs > 0 ? { timeoutMs } : {}),
    ...(retry ? { retry } : {}),
    ...(mirrors.length > 0 ? { mirrors } : {}),
    ...(Object.keys(rewriteOut).length > 0 ? { rewrite: rewriteOut } : {}),
  };
}

/** mirror + mirrorPercentage (default 100, an explicit 0 turns it off) and mirrors[]. */
function mirrorsOf(ctx: Context, vs: VirtualService, rule: VirtualServiceHttpRoute, at: string, scope: RouteScope): Mirror[] {
  const list: { dest: NonNullable<VirtualServiceHttpRoute['mirror']>; percent: number | undefined; path: string }[] = [];
  if (rule.mirror !== undefined) list.push({ dest: rule.mirror, percent: rule.mirrorPercentage && (rule.mirrorPercentage.value ?? 0), path: `${at}.mirror` });
  (rule.mirrors ?? []).forEach((m, i) => list.push({ dest: m.destination, percent: m.percentage && (m.percentage.value ?? 0), path: `${at}.mirrors[${i}].destination` }));
  return list
    .filter(({ percent }) => percent === undefined || percent > 0)
    .map(({ dest, percent, path }) => {
      const ref = { host: dest.host, subset: dest.subset, port: dest.port?.number };
      const cluster = destinationCluster(ctx, ref, vs.metadata.namespace, scope.port, { resource: vs, path }, false, 'mirrored copies go nowhere');
      return percent === undefined || percent >= 100 ? { cluster } : { cluster, percent };
    });
}
