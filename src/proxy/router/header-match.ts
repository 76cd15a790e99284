// Request header matching: value (exact/prefix/suffix/regex), presence, absence, inversion.
//
// Semantics (documented because Envoy, Istio and Gateway API differ in details):
// - `{name}` alone, or `present: true`: the header must be there, any value (even empty).
// - `present: false`: the header must be absent. Combined with `value` it is contradictory and
//   rejected at compile time rather than guessed at.
// - `value`: the header must be there and its value match. A header repeated in the request is
//   matched as its values joined by "," (RFC 9110: repeated fields are one comma-separated list,
//   which is also what Envoy matches against); `cookie` is joined by "; " as HTTP/2 splits it.
// - `invert`: negates the whole result, so `{name, value, invert}` also matches when the header
//   is missing ("not x-env: canary" holds for a request without x-env), as Istio's
//   withoutHeaders does.
import type { HeaderMatch } from '../../model/snapshot.js';
import type { HeaderList } from '../http/headers.js';
import { compileStringMatch, type StringMatcher } from './string-match.js';
import { FieldError } from './errors.js';

type Mode = 'present' | 'absent' | 'value';

export class HeaderMatcher {
  readonly name: string;
  readonly mode: Mode;
  readonly invert: boolean;
  private readonly value: StringMatcher | undefined;
  private readonly separator: string;

  constructor(name: string, mode: Mode, value: StringMatcher | undefined, invert: boolean) {
    this.name = name;
    this.mode = mode;
    this.value = value;
    this.invert = invert;
    this.separator = name === 'cookie' ? '; ' : ',';
  }

  matches(headers: HeaderList): boolean {
    const names = headers.names;
    const i = names.indexOf(this.name);
    let result: boolean;
    if (i === -1) result = this.mode === 'absent';
    else if (this.mode !== 'value') result = this.mode === 'present';
    else result = (this.value as StringMatcher).test(valueAt(headers, this.name, i, this.separator));
    return result !== this.invert;
  }
}

/** The value at index `i`, or all values of the name joined when it repeats (rare: only then do we allocate). */
function valueAt(headers: HeaderList, name: string, i: number, separator: string): string {
  const names = headers.names;
  let j = names.indexOf(name, i + 1);
  if (j === -1) return headers.values[i];
  let joined = headers.values[i];
  while (j !== -1) {
    joined += separator + headers.values[j];
    j = names.indexOf(name, j + 1);
  }
  return joined;
}

export function compileHeaderMatch(m: HeaderMatch, where: string): HeaderMatcher {
  const name = m.name.toLowerCase();
  const invert = m.invert === true;
  if (m.present === false) {
    if (m.value !== undefined) {
      throw new FieldError(where, `header "${m.name}": present: false cannot be combined with value (use invert to negate a value match)`);
    }
    return new HeaderMatcher(name, 'absent', undefined, invert);
  }
  if (m.value === undefined) return new HeaderMatcher(name, 'present', undefined, invert);
  return new HeaderMatcher(name, 'value', compileStringMatch(m.value, `${where}.value`), invert);
}
