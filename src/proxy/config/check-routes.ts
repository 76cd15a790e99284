// Semantic checks of route tables: what the schema cannot say about routes, matches and actions.
import type { ForwardAction, Route, RouteConfig, RouteMatch, StringMatch } from '../../model/snapshot.js';
import { splitAuthority } from '../router/authority.js';
import { FieldError } from '../router/errors.js';
import { compileAnchoredRegex } from '../router/regex.js';
import { RETRY_ON_CONDITIONS, unknownRetryConditions } from '../upstream/retry.js';
import type { CheckContext } from './check-context.js';
import { checkHeaderMap, checkHeaderMutation, checkHeaderName, isToken } from './check-headers.js';
import { formatPath, listNames, type FieldPath } from './path.js';

export function checkRouteConfig(ctx: CheckContext, path: FieldPath, rc: RouteConfig): void {
  const uniqueName = ctx.uniqueNames([...path, 'virtualHosts'], 'virtual host');
  // Two virtual hosts claiming one domain make routing depend on their order: Envoy rejects it too.
  // Domains compare as the router's selector does: host without case or trailing dot, plus port.
  const owner = new Map<string, FieldPath>();
  rc.virtualHosts.forEach((vh, i) => {
    const vhPath = [...path, 'virtualHosts', i];
    uniqueName(i, vh.name);
    vh.domains.forEach((domain, j) => {
      const { host, port } = splitAuthority(domain);
      if (host !== '*' && !host.startsWith('*') && !host.endsWith('*') && host.includes('*')) {
        ctx.report([...vhPath, 'domains', j], `a wildcard is allowed only as the first or last character, or alone (got "${domain}")`);
      }
      const key = `${host}:${port}`;
      const first = owner.get(key);
      if (first) ctx.report([...vhPath, 'domains', j], `domain "${domain}" is already used by ${formatPath(first)}`);
      else owner.set(key, vhPath);
    });
    vh.routes.forEach((route, k) => checkRoute(ctx, [...vhPath, 'routes', k], route));
  });
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
  if (match.path) checkStringMatch(ctx, [...path, 'path'], match.path, match.ignoreCase === true);
  (match.headers ?? []).forEach((h, i) => {
    checkHeaderName(ctx, [...path, 'headers', i, 'name'], h.name);
    if (h.value) checkStringMatch(ctx, [...path, 'headers', i, 'value'], h.value, false);
    if (h.present === false && h.value) {
      ctx.report([...path, 'headers', i], 'present: false cannot be combined with value (use invert to negate a value match)');
    }
  });
  (match.queryParams ?? []).forEach((q, i) => {
    if (q.value) checkStringMatch(ctx, [...path, 'queryParams', i, 'value'], q.value, false);
    if (q.present === false && q.value) ctx.report([...path, 'queryParams', i], 'present: false cannot be combined with value');
  });
  // The router upper-cases methods; anything but a token could never match a request line.
  (match.methods ?? []).forEach((m, i) => {
    if (!isToken(m)) ctx.report([...path, 'methods', i], `must be a method name such as GET (got ${JSON.stringify(m)})`);
  });
}

/**
 * Compiled exactly as the router will (anchored, RE2 spellings such as `(?i)` accepted, RE2-only
 * features enforced), so a snapshot that passes here never fails in the router.
 */
function checkStringMatch(ctx: CheckContext, path: FieldPath, m: StringMatch, ignoreCase: boolean): void {
  if (!('regex' in m)) return;
  try {
    compileAnchoredRegex(m.regex, ignoreCase, formatPath([...path, 'regex']));
  } catch (err) {
    ctx.report([...path, 'regex'], `${regexReason(err, m.regex)} (got ${JSON.stringify(m.regex)})`);
  }
}

/** The router's reason without the pattern it repeats (the message ends with "(got …)" anyway). */
function regexReason(err: unknown, source: string): string {
  const reason = err instanceof FieldError ? err.reason : String(err);
  // V8: 'invalid regex "(": Invalid regular expression: /^(?:()$/: Unterminated group'
  const v8 = /^invalid regex .*: Invalid regular expression: \/.*\/[a-z]*: ([^:]+)$/.exec(reason);
  if (v8) return `not a valid regular expression: ${v8[1]}`;
  // RE2 rules: 'regex "<pattern>": backreferences are not supported (RE2 syntax)'
  const body = source.startsWith('(?i)') ? source.slice(4) : source;
  const prefix = `regex ${JSON.stringify(body)}: `;
  return reason.startsWith(prefix) ? reason.slice(prefix.length) : reason;
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
    // The retry layer's own list, so validation and behaviour cannot drift apart.
    retry.retryOn.forEach((cond, i) => {
      if (unknownRetryConditions([cond]).length === 0) return;
      const known = listNames(Object.keys(RETRY_ON_CONDITIONS), 20);
      ctx.report([...path, 'retry', 'retryOn', i], `must be one of ${known}, or a status code such as 503 (got ${JSON.stringify(cond)})`);
    });
    const b = retry.backoff;
    if (b?.maxMs !== undefined && b.maxMs < b.baseMs) {
      ctx.report([...path, 'retry', 'backoff', 'maxMs'], `must be >= baseMs (${b.baseMs}) (got ${b.maxMs})`);
    }
  }
}
