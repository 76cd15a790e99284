// One route's match conditions, all of which must hold. Checked cheapest first: method (a string
// compare or two), path (a prefix compare), headers (a scan of a short array), query (a scan of
// the query string, only for routes that have query conditions).
import type { RouteMatch } from '../../model/snapshot.js';
import type { RouteInput } from './types.js';
import { compilePathMatch, type PathMatcher } from './path-match.js';
import { compileHeaderMatch, type HeaderMatcher } from './header-match.js';
import { compileQueryParamMatch, type QueryParamMatcher } from './query-match.js';

export class RouteMatcher {
  /** undefined = any method. */
  readonly methods: readonly string[] | undefined;
  /** undefined = any path. */
  readonly path: PathMatcher | undefined;
  readonly headers: readonly HeaderMatcher[];
  readonly query: readonly QueryParamMatcher[];

  constructor(
    methods: string[] | undefined,
    path: PathMatcher | undefined,
    headers: HeaderMatcher[],
    query: QueryParamMatcher[],
  ) {
    this.methods = methods;
    this.path = path;
    this.headers = headers;
    this.query = query;
  }

  /** Whether this route needs the bare path (without query) as its own string. */
  get needsBarePath(): boolean {
    return this.path !== undefined && this.path.kind === 'regex';
  }

  /**
   * @param end index where the path part of input.path ends
   * @param q index of `?` in input.path, or -1
   * @param bare input.path[0, end) (the full path when there is no query or no route needs it)
   */
  matches(input: RouteInput, end: number, q: number, bare: string): boolean {
    const methods = this.methods;
    if (methods !== undefined && !includes(methods, input.method)) return false;
    if (this.path !== undefined && !this.path.matches(input.path, end, bare)) return false;
    const headers = this.headers;
    for (let i = 0; i < headers.length; i++) if (!headers[i].matches(input.headers)) return false;
    const query = this.query;
    for (let i = 0; i < query.length; i++) if (!query[i].matches(input.path, q)) return false;
    return true;
  }
}

function includes(list: readonly string[], s: string): boolean {
  for (let i = 0; i < list.length; i++) if (list[i] === s) return true;
  return false;
}

export function compileRouteMatch(m: RouteMatch | undefined, where: string): RouteMatcher {
  if (m === undefined) return new RouteMatcher(undefined, undefined, [], []);
  const methods = m.methods === undefined || m.methods.length === 0 ? undefined : m.methods.map((x) => x.toUpperCase());
  const path = m.path === undefined ? undefined : compilePathMatch(m.path, m.ignoreCase === true, `${where}.path`);
  const headers = (m.headers ?? []).map((h, i) => compileHeaderMatch(h, `${where}.headers[${i}]`));
  const query = (m.queryParams ?? []).map((p, i) => compileQueryParamMatch(p, `${where}.queryParams[${i}]`));
  return new RouteMatcher(methods, path, headers, query);
}
