// A VirtualService match (HTTPMatchRequest) → the proxy's RouteMatch.
//
// Conditions the proxy cannot test (authority, scheme, a method prefix, JWT claims, a regex the
// router refuses) make the whole match entry unusable: dropping only the condition would widen
// the match and send traffic where the author said it must not go, so the entry is skipped
// (it matches nothing) and a warning says why. Other entries of the same rule still apply.
//
// The conditions that select *which proxies* get the route (sourceLabels, sourceNamespace,
// gateways, port) are decided by the caller, per proxy and port, before this runs.
import type { PresenceOrStringMatch } from '../../api/istio-common.js';
import type { VirtualServiceHttpRoute } from '../../api/virtual-service.js';
import type { HeaderMatch, QueryParamMatch, RouteMatch, StringMatch } from '../../model/snapshot.js';
import { isHeaderName, regexProblem } from './proxy-rules.js';

export type HttpMatchRequest = NonNullable<VirtualServiceHttpRoute['match']>[number];

/**
 * The RouteMatch (undefined: matches every request), or null when the entry cannot be expressed;
 * `report(field, message)` then says why, with the field under this match entry.
 */
export function translateMatch(m: HttpMatchRequest, report: (field: string, message: string) => void): RouteMatch | undefined | null {
  const problems: [string, string][] = [];
  const out: RouteMatch = {};

  if (m.uri !== undefined) {
    const problem = 'regex' in m.uri ? regexProblem(m.uri.regex, m.ignoreUriCase === true) : undefined;
    if (problem !== undefined) problems.push(['uri.regex', problem]);
    out.path = m.uri;
  }
  const headers: HeaderMatch[] = [];
  for (const [field, map, invert] of [['headers', m.headers, false], ['withoutHeaders', m.withoutHeaders, true]] as const) {
    for (const [name, value] of sortedEntries(map)) {
      const at = `${field}.${name}`;
      if (name.startsWith('@request.auth.claims')) problems.push([at, 'routing on JWT claims is not supported yet']);
      else if (!isHeaderName(name)) problems.push([at, `${JSON.stringify(name)} is not a header name the proxy can match (pseudo-headers such as :authority are not)`]);
      else headers.push(headerMatch(name.toLowerCase(), value, invert, at, problems));
    }
  }
  if (headers.length > 0) out.headers = headers;

  const query: QueryParamMatch[] = [];
  for (const [name, value] of sortedEntries(m.queryParams)) {
    if (name === '') {
      problems.push(['queryParams', 'an empty parameter name never matches']);
      continue;
    }
    const value2 = stringMatch(value, `queryParams.${name}`, problems);
    query.push(value2 === undefined ? { name } : { name, value: value2 });
  }
  if (query.length > 0) out.queryParams = query;

  if (m.method !== undefined) {
    const methods = methodList(m.method);
    if (methods === undefined) problems.push(['method', 'only an exact method, or a regex listing methods (GET|HEAD), is supported']);
    else out.methods = methods;
  }
  if (m.ignoreUriCase === true && out.path !== undefined) out.ignoreCase = true;
  if (m.authority !== undefined) problems.push(['authority', 'matching on the authority is not supported by the proxy yet (virtual host domains select the host)']);
  if (m.scheme !== undefined) problems.push(['scheme', 'matching on the scheme is not supported by the proxy yet']);

  if (problems.length > 0) {
    for (const [field, message] of problems) report(field, `${message}; this match entry is skipped`);
    return null;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function headerMatch(name: string, value: PresenceOrStringMatch, invert: boolean, at: string, problems: [string, string][]): HeaderMatch {
  const v = stringMatch(value, at, problems);
  const match: HeaderMatch = v === undefined ? { name } : { name, value: v };
  // withoutHeaders: the request must not have a matching header (a missing one qualifies).
  if (invert) match.invert = true;
  return match;
}

/** undefined means "present with any value": Istio's `{}`, and its regex "*" (see Istio #20629). */
function stringMatch(m: PresenceOrStringMatch, at: string, problems: [string, string][]): StringMatch | undefined {
  if ('exact' in m) return { exact: m.exact };
  if ('prefix' in m) return { prefix: m.prefix };
  if ('regex' in m) {
    if (m.regex === '*') return undefined;
    const problem = regexProblem(m.regex);
    if (problem !== undefined) problems.push([`${at}.regex`, problem]);
    return { regex: m.regex };
  }
  return undefined;
}

/** `GET` → [GET]; a regex that only lists methods, `GET|HEAD` or `(GET|HEAD)` → [GET, HEAD]. */
function methodList(m: NonNullable<HttpMatchRequest['method']>): string[] | undefined {
  if ('exact' in m) return m.exact === '' ? undefined : [m.exact.toUpperCase()];
  if ('regex' in m) {
    const body = m.regex.replace(/^\^?\(?/, '').replace(/\)?\$?$/, '');
    if (/^[A-Za-z]+(\|[A-Za-z]+)*$/.test(body)) return body.split('|').map((x) => x.toUpperCase());
  }
  return undefined;
}

function sortedEntries<T>(map: Readonly<Record<string, T>> | undefined): [string, T][] {
  // Istio sorts header matchers by name; a stable order keeps snapshots (and versions) stable.
  return Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
