// Gateway API matches (HTTPRoute, GRPCRoute) → the proxy's RouteMatch, and the key that orders
// them. Gateway API orders rules by specificity across all routes of a parent, not by position:
//   HTTPRoute: exact path, then (here) regex, then the longest prefix; then a method match; then
//   the most header matches; then the most query matches; then the oldest route, rule order.
//   (The spec leaves regex placement to implementations; before prefixes keeps a regex rule
//   reachable, where after "/" it never would be.)
//   GRPCRoute: the longest service, then the longest method, then the most header matches.
// A PathPrefix matches whole segments (`/api` matches `/api` and `/api/x`, not `/apix`), which
// the caller expresses with an exact and a prefix route (see expandPath).
import type { GRPCRoute } from '../../api/grpc-route.js';
import type { HTTPRoute } from '../../api/http-route.js';
import type { HeaderMatch, QueryParamMatch, RouteMatch, StringMatch } from '../../model/snapshot.js';
import { isHeaderName, regexProblem } from './proxy-rules.js';

type HttpMatch = NonNullable<NonNullable<HTTPRoute['spec']['rules']>[number]['matches']>[number];
type GrpcMatch = NonNullable<NonNullable<GRPCRoute['spec']['rules']>[number]['matches']>[number];
type ValueMatch = { type?: 'Exact' | 'RegularExpression'; name: string; value: string };

/**
 * The path condition before segment expansion; a segment prefix has no trailing slash (except
 * "/"). `literal`: a plain string prefix, not expanded (gRPC's `/service/`).
 */
export type PathSpec = { readonly kind: 'exact' | 'prefix' | 'regex'; readonly value: string; readonly literal?: true };

export interface MatchSpec {
  readonly path: PathSpec;
  /** Everything but the path. */
  readonly rest: Omit<RouteMatch, 'path'>;
  /** Lower sorts first. */
  readonly key: readonly number[];
}

type Problems = [string, string][];

/** undefined entry: the rule has no matches, which means "any path" (prefix "/"). */
export function httpMatch(m: HttpMatch | undefined, problems: Problems): MatchSpec {
  const path = httpPath(m?.path, problems);
  const rest = restOf(m?.headers, m?.queryParams, problems);
  if (m?.method !== undefined) rest.methods = [m.method];
  const rank = path.kind === 'exact' ? 0 : path.kind === 'regex' ? 1 : 2;
  const key = [1, rank, -path.value.length, m?.method !== undefined ? 0 : 1, -(rest.headers?.length ?? 0), -(rest.queryParams?.length ?? 0)];
  return { path, rest, key };
}

export function grpcMatch(m: GrpcMatch | undefined, problems: Problems): MatchSpec {
  const method = m?.method;
  const rest = restOf(m?.headers, undefined, problems);
  const service = method?.service ?? '';
  const name = method?.method ?? '';
  let path: PathSpec = { kind: 'prefix', value: '/' };
  if (method !== undefined && (method.type ?? 'Exact') === 'Exact') {
    if (service !== '' && name !== '') path = { kind: 'exact', value: `/${service}/${name}` };
    else if (service !== '') path = { kind: 'prefix', value: `/${service}/`, literal: true };
    else if (name !== '') path = { kind: 'regex', value: `/[^/]+/${escapeRegex(name)}` };
  } else if (method !== undefined) {
    path = { kind: 'regex', value: `/${service || '[^/]+'}/${name || '[^/]+'}` };
    const problem = regexProblem(path.value);
    if (problem !== undefined) problems.push(['matches.method', problem]);
  }
  // gRPC rules sort before HTTP ones on a shared parent: their paths are the more specific.
  return { path, rest, key: [0, -service.length, -name.length, -(rest.headers?.length ?? 0)] };
}

function httpPath(p: HttpMatch['path'], problems: Problems): PathSpec {
  const value = p?.value ?? '/';
  switch (p?.type ?? 'PathPrefix') {
    case 'Exact':
      return { kind: 'exact', value };
    case 'RegularExpression': {
      const problem = regexProblem(value);
      if (problem !== undefined) problems.push(['path.value', problem]);
      return { kind: 'regex', value };
    }
    default: {
      // A trailing slash does not change a segment prefix: `/api/` is `/api`.
      const trimmed = value.replace(/\/+$/, '');
      return { kind: 'prefix', value: trimmed === '' ? '/' : trimmed };
    }
  }
}

function restOf(headers: readonly ValueMatch[] | undefined, query: readonly ValueMatch[] | undefined, problems: Problems): Omit<RouteMatch, 'path'> {
  const out: Omit<RouteMatch, 'path'> = {};
  const hs: HeaderMatch[] = [];
  // Gateway API: a repeated name counts once (the first).
  const seenHeaders = new Set<string>();
  for (const h of headers ?? []) {
    const name = h.name.toLowerCase();
    if (seenHeaders.has(name)) continue;
    seenHeaders.add(name);
    if (!isHeaderName(h.name)) problems.push([`headers.${h.name}`, `${JSON.stringify(h.name)} is not a header name the proxy can match`]);
    hs.push({ name, value: valueMatch(h, `headers.${h.name}`, problems) });
  }
  if (hs.length > 0) out.headers = hs;
  const qs: QueryParamMatch[] = [];
  const seenQuery = new Set<string>();
  for (const q of query ?? []) {
    if (seenQuery.has(q.name)) continue;
    seenQuery.add(q.name);
    qs.push({ name: q.name, value: valueMatch(q, `queryParams.${q.name}`, problems) });
  }
  if (qs.length > 0) out.queryParams = qs;
  return out;
}

function valueMatch(m: ValueMatch, at: string, problems: Problems): StringMatch {
  if (m.type !== 'RegularExpression') return { exact: m.value };
  const problem = regexProblem(m.value);
  if (problem !== undefined) problems.push([`${at}.value`, problem]);
  return { regex: m.value };
}

/**
 * The routes a path condition becomes, with how each matched (for prefix rewrites):
 * a segment prefix `/api` is exact `/api` plus prefix `/api/`; prefix "/" is no condition at all,
 * unless a prefix rewrite needs to tell "/" itself apart.
 */
export function expandPath(path: PathSpec, needsRoot: boolean): { match: StringMatch | undefined; variant: 'exact-prefix' | 'prefix' | 'other' }[] {
  if (path.kind === 'exact') return [{ match: { exact: path.value }, variant: 'other' }];
  if (path.kind === 'regex') return [{ match: { regex: path.value }, variant: 'other' }];
  if (path.literal) return [{ match: { prefix: path.value }, variant: 'other' }];
  if (path.value === '/') {
    return needsRoot ? [{ match: { exact: '/' }, variant: 'exact-prefix' }, { match: { prefix: '/' }, variant: 'prefix' }] : [{ match: undefined, variant: 'prefix' }];
  }
  return [
    { match: { exact: path.value }, variant: 'exact-prefix' },
    { match: { prefix: `${path.value}/` }, variant: 'prefix' },
  ];
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
