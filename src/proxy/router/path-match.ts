// Path matching. The request path arrives with its query string (origin-form `/a/b?x=1`); rather
// than cutting the query off for every request, the literal kinds compare inside `path[0, end)`
// where `end` is the index of `?` (or the length). Only regex needs the bare path as its own
// string, and the virtual host cuts it at most once per request, only if some route uses a regex.
//
// ignoreCase (Istio's ignoreUriCase) folds ASCII only, as Envoy does: paths on the wire are
// ASCII (anything else is percent-encoded), and ASCII folding needs no lower-cased copy of the
// path, just a char-code compare.
import type { StringMatch } from '../../model/snapshot.js';
import type { MatchKind } from './string-match.js';
import { compileAnchoredRegex } from './regex.js';
import { FieldError } from './errors.js';

export class PathMatcher {
  readonly kind: MatchKind;
  /** Literal to compare (ASCII lower-cased when ignoreCase); regex source for regex. */
  readonly pattern: string;
  readonly ignoreCase: boolean;
  private readonly re: RegExp | undefined;

  constructor(kind: MatchKind, pattern: string, ignoreCase: boolean, re: RegExp | undefined) {
    this.kind = kind;
    this.pattern = ignoreCase && kind !== 'regex' ? asciiLower(pattern) : pattern;
    this.ignoreCase = ignoreCase;
    this.re = re;
  }

  /**
   * @param path the request path, query included
   * @param end index where the path part ends (`?` or length)
   * @param bare `path[0, end)` as its own string; only read by regex
   */
  matches(path: string, end: number, bare: string): boolean {
    const p = this.pattern;
    const n = p.length;
    switch (this.kind) {
      case 'exact':
        return end === n && (this.ignoreCase ? regionEqualsFolded(path, 0, p) : path.startsWith(p));
      case 'prefix':
        return end >= n && (this.ignoreCase ? regionEqualsFolded(path, 0, p) : path.startsWith(p));
      case 'suffix':
        return end >= n && (this.ignoreCase ? regionEqualsFolded(path, end - n, p) : path.endsWith(p, end));
      default:
        return (this.re as RegExp).test(bare);
    }
  }
}

export function compilePathMatch(m: StringMatch, ignoreCase: boolean, where: string): PathMatcher {
  if ('exact' in m) return new PathMatcher('exact', m.exact, ignoreCase, undefined);
  if ('prefix' in m) return new PathMatcher('prefix', m.prefix, ignoreCase, undefined);
  if ('suffix' in m) return new PathMatcher('suffix', m.suffix, ignoreCase, undefined);
  if ('regex' in m) {
    return new PathMatcher('regex', m.regex, ignoreCase, compileAnchoredRegex(m.regex, ignoreCase, `${where}.regex`));
  }
  throw new FieldError(where, 'needs exactly one of exact, prefix, suffix, regex');
}

/** Lower-cases A-Z only (toLowerCase would also fold non-ASCII, which the matcher never does). */
export function asciiLower(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c | 32) : s[i];
  }
  return out;
}

/** s[start, start+lower.length) equals `lower` with ASCII A-Z in s folded; no allocation. */
export function regionEqualsFolded(s: string, start: number, lower: string): boolean {
  const n = lower.length;
  if (start < 0 || start + n > s.length) return false;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(start + i);
    if (c >= 65 && c <= 90) c |= 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}
