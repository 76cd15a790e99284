// Virtual host selection by authority, as Envoy does it, with maille's port rule.
//
// Precedence (the first that matches wins):
//   1. exact domain            `reviews.default`
//   2. suffix wildcard         `*.example.com`  (longest suffix first)
//   3. prefix wildcard         `example.*`      (longest prefix first)
//   4. catch-all               `*`
// Within each step a domain written with a port (`reviews:9080`, `*.example.com:8443`, `*:80`)
// matches only requests on that port, and is preferred over the same domain without a port.
// Hosts compare case-insensitively; the request's port and trailing dot are otherwise ignored.
// A wildcard stands for at least one character: `*.example.com` does not match `example.com`.
//
// Exact domains sit in a Map. The wildcard lists are sorted once here. On top, a small cache maps
// the raw authority string (as it arrives, any case, with port) to the answer: a proxy sees few
// distinct authorities, so the usual request costs one Map lookup, with no lower-casing and no
// slicing. The cache is per compiled table (dropped with the snapshot) and bounded: when full it
// is cleared, and authorities longer than any sane host name are not kept, so a client inventing
// (long) Host headers cannot grow memory.
import { authorityEnd, hostEnd, portColon, splitAuthority } from './authority.js';
import { FieldError } from './errors.js';

const CACHE_MAX = 1024;
/** DNS names stop at 253 characters; add a port and some slack. */
const CACHE_KEY_MAX = 270;

interface PortChoice<T> {
  /** The domain written without a port. */
  any: T | undefined;
  /** Domains written with a port, by port string. */
  byPort: Map<string, T> | undefined;
}

interface Wildcard<T> {
  /** Lower-cased text around the `*`: the suffix for `*.x`, the prefix for `x.*`. */
  text: string;
  port: string; // '' = any port
  value: T;
}

export class VirtualHostSelector<T> {
  private readonly exact = new Map<string, PortChoice<T>>();
  private readonly suffixes: Wildcard<T>[] = [];
  private readonly prefixes: Wildcard<T>[] = [];
  private readonly star: PortChoice<T> = { any: undefined, byPort: undefined };
  private readonly cache = new Map<string, T | null>();
  private readonly seen = new Set<string>();

  /** Registers a domain; `where` names it in errors. Duplicates are rejected, as Envoy does. */
  add(domain: string, value: T, where: string): void {
    const { host, port } = splitAuthority(domain);
    const key = `${host}:${port}`;
    if (this.seen.has(key)) throw new FieldError(where, `domain "${domain}" is already used by another virtual host or entry`);
    this.seen.add(key);
    if (host === '*') {
      setChoice(this.star, port, value);
    } else if (host.startsWith('*')) {
      this.suffixes.push({ text: host.slice(1), port, value });
    } else if (host.endsWith('*')) {
      this.prefixes.push({ text: host.slice(0, -1), port, value });
    } else if (host.includes('*')) {
      throw new FieldError(where, `domain "${domain}": a wildcard is allowed only as the first or last character, or alone`);
    } else {
      let choice = this.exact.get(host);
      if (choice === undefined) this.exact.set(host, (choice = { any: undefined, byPort: undefined }));
      setChoice(choice, port, value);
    }
  }

  /** Call once after the last add(): orders the wildcard lists. */
  seal(): void {
    // Longest first, then port-specific before any-port; Array.prototype.sort is stable, so
    // equal entries keep configuration order.
    const order = (a: Wildcard<T>, b: Wildcard<T>) =>
      b.text.length - a.text.length || (a.port === '' ? 1 : 0) - (b.port === '' ? 1 : 0);
    this.suffixes.sort(order);
    this.prefixes.sort(order);
  }

  select(authority: string): T | undefined {
    const hit = this.cache.get(authority);
    if (hit !== undefined) return hit === null ? undefined : hit;
    const found = this.lookup(authority);
    if (authority.length > CACHE_KEY_MAX) return found;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(authority, found === undefined ? null : found);
    return found;
  }

  private lookup(authority: string): T | undefined {
    const end = authorityEnd(authority);
    const colon = portColon(authority, end);
    const host = authority.slice(0, hostEnd(authority, end, colon)).toLowerCase();
    const port = colon === -1 ? '' : authority.slice(colon + 1, end);

    const exact = this.exact.get(host);
    if (exact !== undefined) {
      const v = choose(exact, port);
      if (v !== undefined) return v;
    }
    for (const w of this.suffixes) {
      if (host.length > w.text.length && host.endsWith(w.text) && (w.port === '' || w.port === port)) return w.value;
    }
    for (const w of this.prefixes) {
      if (host.length > w.text.length && host.startsWith(w.text) && (w.port === '' || w.port === port)) return w.value;
    }
    return choose(this.star, port);
  }
}

function setChoice<T>(choice: PortChoice<T>, port: string, value: T): void {
  if (port === '') choice.any = value;
  else (choice.byPort ??= new Map()).set(port, value);
}

function choose<T>(choice: PortChoice<T>, port: string): T | undefined {
  if (port !== '' && choice.byPort !== undefined) {
    const v = choice.byPort.get(port);
    if (v !== undefined) return v;
  }
  return choice.any;
}
