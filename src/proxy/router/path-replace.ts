// Path replacement shared by rewrites (forwarded requests) and redirects (the Location).
//
// - `whole` replaces the whole path. The request's query string is kept, unless `whole` carries
//   its own `?…`, which then replaces it (so a config can change the query on purpose).
// - `prefix` replaces the part the route matched when the route matched by prefix
//   (`prefixLen` >= 0): `/api/v1/x` with prefix `/api/v1` and replacement `/v2` gives `/v2/x`.
//   The replacement is literal, as Envoy's prefix_rewrite: `/api` → `/` on `/api/x` gives `//x`;
//   write the prefix with its trailing slash (`/api/` → `/`) to avoid that.
//   For any other kind of match (exact, suffix, regex, or no path condition) there is no matched
//   prefix, so `prefix` replaces the whole path, query kept.

export function replacePath(path: string, whole: string | undefined, prefix: string | undefined, prefixLen: number): string {
  if (whole !== undefined) return whole.includes('?') ? whole : whole + queryOf(path);
  if (prefix === undefined) return path;
  if (prefixLen >= 0 && prefixLen <= path.length) return prefix + path.slice(prefixLen);
  return prefix + queryOf(path);
}

/** `?…` of the path, or ''. */
export function queryOf(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? '' : path.slice(q);
}
