// Host names as Istio compares them: lower case, `*` and `*.suffix` wildcards, short names
// resolved against the namespace of the resource that wrote them.
import { serviceFqdn } from '../registry/hostnames.js';

export function isWildcard(host: string): boolean {
  return host.startsWith('*');
}

/**
 * A host as written in a resource of `namespace`: a short name (`reviews`) means that
 * namespace's service, as Istio resolves it; anything with a dot is taken as written.
 */
export function resolveHost(host: string, namespace: string): string {
  const h = host.toLowerCase();
  return h.includes('.') || h.includes('*') ? h : serviceFqdn(h, namespace);
}

/** Whether `pattern` (a host or a wildcard) covers `host` (a host or a wildcard). */
export function hostCovers(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (!isWildcard(pattern)) return pattern === host;
  // `*.example.com` covers `a.example.com`, `a.b.example.com` and `*.a.example.com`.
  const suffix = pattern.slice(1);
  return host.length > suffix.length && host.endsWith(suffix);
}

/** The hosts both sides match, written as the more specific one, or undefined when none. */
export function hostIntersection(a: string, b: string): string | undefined {
  if (hostCovers(a, b)) return b;
  if (hostCovers(b, a)) return a;
  return undefined;
}

/** How specific a host pattern is: a name beats any wildcard; a longer wildcard beats a shorter one. */
export function hostSpecificity(pattern: string): number {
  return isWildcard(pattern) ? pattern.length : Number.MAX_SAFE_INTEGER;
}
