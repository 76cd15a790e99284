// Semantic checks of route tables: what the schema cannot say about routes, matches and actions.
import type { ForwardAction, Route, RouteConfig, RouteMatch, StringMatch } from '../../model/snapshot.js';
import type { CheckContext } from './check-context.js';
import { checkHeaderMap, checkHeaderMutation, checkHeaderName, isToken } from './check-headers.js';
import { formatPath, listNames, type FieldPath } from './path.js';

/** Retry conditions the upstream retry layer implements (see RetryPolicy.retryOn). */
export const RETRY_ON = [
  '5xx',
  'gateway-error',
  'connect-failure',
  'refused-stream',
  'reset',
  'retriable-status-codes',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

export function checkRouteConfig(ctx: CheckContext, path: FieldPath, rc: RouteConfig): void {
  const uniqueName = ctx.uniqueNames([...path, 'virtualHosts'], 'virtual host');
  // Two virtual hosts claiming one domain make routing depend on their order: Envoy rejects it too.
  const owner = new Map<string, FieldPath>();
  rc.virtualHosts.forEach((vh, i) => {
    const vhPath = [...path, 'virtualHosts', i];
    uniqueName(i, vh.name);
    vh.domains.forEach((domain, j) => {
      const key = normalizeDomain(domain);
      const first = owner.get(key);
      if (first) ctx.report([...vhPath, 'domains', j], `domain "${domain}" is already used by ${formatPath(first)}`);
      else owner.set(key, vhPath);
    });
    vh.routes.forEach((route, k) => checkRoute(ctx, [...vhPath, 'routes', k], route));
  });
}

/** Authority matching ignores case, port and a trailing dot, so domains compare the same way. */
function normalizeDomain(domain: string): string {
  let d = domain.toLowerCase();
  if (d.startsWith('[')) d = d.slice(0, d.indexOf(']') + 1 || d.length);
  else d = d.replace(/:[0-9]*$/, '');
  return d.replace(/\.$/, '');
}

function checkRoute(ctx: CheckContext, path: FieldPath, route: Route): void {
  const actions = (['forward', 'redirect', 'direct'] as const).filter((a) => route[a] !== undefined);
  if (actions.length !== 1) {
    const got = actions.length === 0 ? 'none' : actions.join(', ');
    ctx.report(path, `must have exactly one of forward, redirect, direct (got ${got})`);
  }
  if (route.match) checkMatch(ctx, [...path, 'match'], route.match);
  if (route.forward) checkForward(ctx, [...path, 'forward'], route.forward);
  if (route.redirect?.path !== undefined && route.redirect.pathPrefix !== undefined) {
    ctx.report([...path, 'redirect'], 'must have at most one of path, pathPrefix (got both)');
  }
  if (route.direct) checkHeaderMap(ctx, [...path, 'direct', 'headers'], route.direct.headers);
  checkHeaderMutation(ctx, [...path, 'requestHeaders'], route.requestHeaders);
  checkHeaderMutation(ctx, [...path, 'responseHeaders'], route.responseHeaders);
  const abort = route.fault?.abort;
  if (abort && abort.httpStatus === undefined && abort.grpcStatus === undefined) {
    ctx.report([...path, 'fault', 'abort'], 'needs httpStatus or grpcStatus');
  }
}

function checkMatch(ctx: CheckContext, path: FieldPath, match: RouteMatch): void {
  if (match.path) checkStringMatch(ctx, [...path, 'path'], match.path);
  (match.headers ?? []).forEach((h, i) => {
    checkHeaderName(ctx, [...path, 'headers', i, 'name'], h.name, true);
    if (h.value) checkStringMatch(ctx, [...path, 'headers', i, 'value'], h.value);
  });
  (match.queryParams ?? []).forEach((q, i) => {
    if (q.value) checkStringMatch(ctx, [...path, 'queryParams', i, 'value'], q.value);
  });
  // Request methods arrive upper-case; "get" would silently never match.
  (match.methods ?? []).forEach((m, i) => {
    if (!isToken(m) || m !== m.toUpperCase()) {
      ctx.report([...path, 'methods', i], `must be an upper-case method name such as GET (got ${JSON.stringify(m)})`);
    }
  });
}

function checkStringMatch(ctx: CheckContext, path: FieldPath, m: StringMatch): void {
  if (!('regex' in m)) return;
  try {
    new RegExp(m.regex);
  } catch (err) {
    // V8 says "Invalid regular expression: /(/: Unterminated group"; the reason is the last part.
    const reason = (err as Error).message.split(': ').pop() ?? 'invalid';
    ctx.report([...path, 'regex'], `not a valid regular expression: ${reason} (got ${JSON.stringify(m.regex)})`);
  }
}

function checkForward(ctx: CheckContext, path: FieldPath, fwd: ForwardAction): void {
  fwd.destinations.forEach((d, i) => {
    const dPath = [...path, 'destinations', i];
    const subset = d.subset === undefined ? undefined : { path: [...dPath, 'subset'], name: d.subset };
    ctx.checkClusterRef([...dPath, 'cluster'], d.cluster, subset);
    checkHeaderMutation(ctx, [...dPath, 'requestHeaders'], d.requestHeaders);
    checkHeaderMutation(ctx, [...dPath, 'responseHeaders'], d.responseHeaders);
  });
  // A split where every weight is 0 has nothing to pick from.
  if (fwd.destinations.every((d) => d.weight === 0)) {
    ctx.report([...path, 'destinations'], 'at least one destination must have a weight above 0');
  }
  (fwd.mirrors ?? []).forEach((m, i) => {
    const mPath = [...path, 'mirrors', i];
    const subset = m.subset === undefined ? undefined : { path: [...mPath, 'subset'], name: m.subset };
    ctx.checkClusterRef([...mPath, 'cluster'], m.cluster, subset);
  });
  if (fwd.rewrite?.path !== undefined && fwd.rewrite.pathPrefix !== undefined) {
    ctx.report([...path, 'rewrite'], 'must have at most one of path, pathPrefix (got both)');
  }
  const retry = fwd.retry;
  if (retry) {
    retry.retryOn.forEach((cond, i) => {
      if (!(RETRY_ON as readonly string[]).includes(cond)) {
        ctx.report([...path, 'retry', 'retryOn', i], `must be one of ${listNames(RETRY_ON, 20)} (got ${JSON.stringify(cond)})`);
      }
    });
    const b = retry.backoff;
    if (b?.maxMs !== undefined && b.maxMs < b.baseMs) {
      ctx.report([...path, 'retry', 'backoff', 'maxMs'], `must be >= baseMs (${b.baseMs}) (got ${b.maxMs})`);
    }
  }
}
