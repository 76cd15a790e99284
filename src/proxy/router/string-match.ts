// Value matching for headers and query parameters (exact / prefix / suffix / regex).
//
// One class with a numeric kind and a switch, rather than one closure or subclass per kind: every
// call site then sees a single hidden class and stays monomorphic, which is what keeps V8's inline
// caches fast on the request path. Everything a match needs is prepared in the constructor.
import type { StringMatch } from '../../model/snapshot.js';
import { compileAnchoredRegex } from './regex.js';
import { FieldError } from './errors.js';

/** String literals are interned by V8, so switching on them is a pointer compare. */
export type MatchKind = 'exact' | 'prefix' | 'suffix' | 'regex';

export class StringMatcher {
  readonly kind: MatchKind;
  /** The literal for exact/prefix/suffix; the source for regex (for debugging). */
  readonly pattern: string;
  private readonly re: RegExp | undefined;

  constructor(kind: MatchKind, pattern: string, re: RegExp | undefined) {
    this.kind = kind;
    this.pattern = pattern;
    this.re = re;
  }

  /** Whether the whole `value` matches. */
  test(value: string): boolean {
    const p = this.pattern;
    switch (this.kind) {
      case 'exact':
        return value === p;
      case 'prefix':
        return value.startsWith(p);
      case 'suffix':
        return value.endsWith(p);
      default:
        return (this.re as RegExp).test(value);
    }
  }

  /**
   * Whether `s[start, end)` matches, without cutting the substring out for the literal kinds
   * (query values are matched in place inside the request path).
   */
  testRange(s: string, start: number, end: number): boolean {
    const p = this.pattern;
    const n = end - start;
    switch (this.kind) {
      case 'exact':
        return n === p.length && s.startsWith(p, start);
      case 'prefix':
        return n >= p.length && s.startsWith(p, start);
      case 'suffix':
        return n >= p.length && s.endsWith(p, end);
      default:
        return (this.re as RegExp).test(start === 0 && end === s.length ? s : s.slice(start, end));
    }
  }
}

/** Compiles a StringMatch of the model; `where` is the field path used in errors. */
export function compileStringMatch(m: StringMatch, where: string): StringMatcher {
  if ('exact' in m) return new StringMatcher('exact', m.exact, undefined);
  if ('prefix' in m) return new StringMatcher('prefix', m.prefix, undefined);
  if ('suffix' in m) return new StringMatcher('suffix', m.suffix, undefined);
  if ('regex' in m) return new StringMatcher('regex', m.regex, compileAnchoredRegex(m.regex, false, `${where}.regex`));
  throw new FieldError(where, 'needs exactly one of exact, prefix, suffix, regex');
}
