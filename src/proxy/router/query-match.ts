// Query parameter matching, done in place on the request path.
//
// No URL or URLSearchParams object and no parsed map: each matcher scans `path` from the `?` for
// its own parameter, comparing names where they lie. Only routes that have query matchers ever
// run this, so a virtual host without them never looks at the query at all. Queries are short
// and matchers few; a scan is cheaper than building a structure per request.
//
// Semantics:
// - names and values are compared percent-decoded ("+" is a space, as in HTML forms and
//   URLSearchParams); decoding allocates only when the raw text contains "%" or "+".
// - the first occurrence of a repeated parameter decides (as Envoy does).
// - `?flag` (no "=") is present with the empty value.
// - `{name}` alone or `present: true`: present; `present: false`: absent.
import type { QueryParamMatch } from '../../model/snapshot.js';
import { compileStringMatch, type StringMatcher } from './string-match.js';
import { FieldError } from './errors.js';

type Mode = 'present' | 'absent' | 'value';

export class QueryParamMatcher {
  readonly name: string;
  readonly mode: Mode;
  private readonly value: StringMatcher | undefined;

  constructor(name: string, mode: Mode, value: StringMatcher | undefined) {
    this.name = name;
    this.mode = mode;
    this.value = value;
  }

  /**
   * @param path the request path with its query
   * @param q index of `?` in path, or -1 when there is no query
   */
  matches(path: string, q: number): boolean {
    if (q === -1) return this.mode === 'absent';
    const len = path.length;
    let i = q + 1;
    while (i < len) {
      let amp = path.indexOf('&', i);
      if (amp === -1) amp = len;
      if (amp > i) {
        let eq = path.indexOf('=', i);
        if (eq === -1 || eq > amp) eq = amp;
        if (this.nameAt(path, i, eq)) return this.decide(path, eq === amp ? amp : eq + 1, amp);
      }
      i = amp + 1;
    }
    return this.mode === 'absent';
  }

  private nameAt(path: string, start: number, end: number): boolean {
    const name = this.name;
    if (end - start === name.length && path.startsWith(name, start)) return true;
    return hasEscape(path, start, end) && decodeQueryComponent(path.slice(start, end)) === name;
  }

  private decide(path: string, start: number, end: number): boolean {
    if (this.mode !== 'value') return this.mode === 'present';
    const m = this.value as StringMatcher;
    if (!hasEscape(path, start, end)) return m.testRange(path, start, end);
    return m.test(decodeQueryComponent(path.slice(start, end)));
  }
}

function hasEscape(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 /* % */ || c === 43 /* + */) return true;
  }
  return false;
}

const PLUS = /\+/g;
const ESCAPES = /(?:%[0-9a-fA-F]{2})+/g;

/**
 * Percent-decodes a query name or value, "+" as space. A malformed escape ("%zz", a lone "%",
 * bytes that are not UTF-8) must not fail the request: decodeURIComponent throws on those, so
 * we fall back to decoding each run of valid escapes on its own and leaving the rest as written.
 */
export function decodeQueryComponent(raw: string): string {
  const s = raw.indexOf('+') === -1 ? raw : raw.replace(PLUS, ' ');
  if (s.indexOf('%') === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(ESCAPES, decodeRun);
  }
}

function decodeRun(run: string): string {
  const bytes = Buffer.allocUnsafe(run.length / 3);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16);
  return bytes.toString('utf8');
}

export function compileQueryParamMatch(m: QueryParamMatch, where: string): QueryParamMatcher {
  if (m.present === false) {
    if (m.value !== undefined) throw new FieldError(where, `query parameter "${m.name}": present: false cannot be combined with value`);
    return new QueryParamMatcher(m.name, 'absent', undefined);
  }
  if (m.value === undefined) return new QueryParamMatcher(m.name, 'present', undefined);
  return new QueryParamMatcher(m.name, 'value', compileStringMatch(m.value, `${where}.value`));
}
