// Redirect Location building, prepared once per route.
//
// Location = scheme://host[:port]path
// - scheme: the configured one, else the request's.
// - host: the configured one (a port written in it is used as the port), else the request's
//   host as received, without its port or trailing dot.
// - port: the configured one; else, when the host is redirected, none (the old port belongs to
//   the old host); else the request's port, except that 80 and 443 are dropped when the scheme
//   changes (http://a:80 → https must not become https://a:80). A port that is the default of
//   the final scheme (80 for http, 443 for https) is never written.
// - path: the request path (query included), replaced per path / pathPrefix (path-replace.ts).
// The status (default 301) is left to whoever sends the response: it is in the route's `redirect`.
import type { RedirectAction } from '../../model/snapshot.js';
import type { RouteInput } from './types.js';
import { authorityEnd, hostEnd, portColon, splitAuthority } from './authority.js';
import { replacePath } from './path-replace.js';

export class RedirectBuilder {
  private readonly scheme: string | undefined;
  private readonly host: string | undefined;
  private readonly port: string | undefined;
  private readonly path: string | undefined;
  private readonly pathPrefix: string | undefined;
  private readonly prefixLen: number;

  /** @param prefixLen length of the route's path prefix match, or -1 when it is not a prefix match */
  constructor(action: RedirectAction, prefixLen: number) {
    this.scheme = action.scheme?.toLowerCase();
    let port = action.port === undefined ? undefined : String(action.port);
    if (action.host !== undefined) {
      const split = splitAuthority(action.host);
      this.host = split.host;
      if (port === undefined && split.port !== '') port = split.port;
    }
    this.port = port;
    this.path = action.path;
    this.pathPrefix = action.pathPrefix;
    this.prefixLen = prefixLen;
  }

  /** @param scheme the request's scheme, `http` or `https` */
  location(input: RouteInput, scheme: string): string {
    const finalScheme = this.scheme ?? scheme;
    let host = this.host;
    let port = this.port;
    if (host === undefined) {
      const a = input.authority;
      const end = authorityEnd(a);
      const colon = portColon(a, end);
      host = a.slice(0, hostEnd(a, end, colon));
      if (port === undefined) {
        port = colon === -1 ? '' : a.slice(colon + 1, end);
        if (finalScheme !== scheme && (port === '80' || port === '443')) port = '';
      }
    }
    if (port === undefined || port === defaultPort(finalScheme)) port = '';
    const path = replacePath(input.path, this.path, this.pathPrefix, this.prefixLen);
    return port === '' ? `${finalScheme}://${host}${path}` : `${finalScheme}://${host}:${port}${path}`;
  }
}

function defaultPort(scheme: string): string {
  return scheme === 'https' ? '443' : scheme === 'http' ? '80' : '';
}
