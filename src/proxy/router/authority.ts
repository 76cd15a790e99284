// Splitting an authority (Host header / :authority) into host and port, shared by virtual host
// selection (for requests and for the configured domains) and by redirects.
//
// Accepted forms: `host`, `host:port`, `[v6]`, `[v6]:port`, each maybe with a trailing dot on the
// host (`reviews.default.:9080`), and the odd `Reviews.default:9080.` with the dot after the port
// that some clients produce by appending the root dot to the whole authority. A bare IPv6 address
// without brackets (more than one colon) is taken as a host with no port.
//
// Returns indices instead of an object so per-request callers allocate nothing but the slices
// they actually need.

const DOT = 46;
const CLOSE_BRACKET = 93;

/** End of the authority once a trailing dot after the port (or after the host) is dropped. */
export function authorityEnd(a: string): number {
  const n = a.length;
  return n > 1 && a.charCodeAt(n - 1) === DOT ? n - 1 : n;
}

/** Index of the `:` that starts the port within a[0, end), or -1. */
export function portColon(a: string, end: number): number {
  const colon = a.lastIndexOf(':', end - 1);
  if (colon === -1) return -1;
  if (a.charCodeAt(0) === 91 /* [ */) return colon > 0 && a.charCodeAt(colon - 1) === CLOSE_BRACKET ? colon : -1;
  return a.indexOf(':') === colon ? colon : -1;
}

/** End of the host part: before the port colon, and before a trailing dot on the host. */
export function hostEnd(a: string, end: number, colon: number): number {
  const h = colon === -1 ? end : colon;
  return h > 1 && a.charCodeAt(h - 1) === DOT ? h - 1 : h;
}

/** Lower-cased host (no port, no trailing dot) and port ('' when none). Compile time and redirects only. */
export function splitAuthority(a: string): { host: string; port: string } {
  const end = authorityEnd(a);
  const colon = portColon(a, end);
  return {
    host: a.slice(0, hostEnd(a, end, colon)).toLowerCase(),
    port: colon === -1 ? '' : a.slice(colon + 1, end),
  };
}
