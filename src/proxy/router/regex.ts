// Regexes from the configuration, compiled once per snapshot.
//
// The model says regexes are "RE2-style and must match the whole value" (as in Envoy and Istio),
// but we run them on V8's backtracking engine. So at compile time we:
// - anchor: wrap as ^(?:…)$ so `/api` never matches `/api/x` by accident, and a `|` inside the
//   pattern cannot escape the anchors;
// - accept the two RE2 spellings users paste from Istio/Envoy configs that V8 lacks: a leading
//   `(?i)` (becomes the `i` flag) and named groups `(?P<name>…)` (become `(?<name>…)`);
// - reject what RE2 would reject and what makes backtracking explode on hostile input:
//   backreferences and lookaround. (Nested quantifiers like `(a+)+` are still possible; RE2's
//   linear-time guarantee is not something we can give with V8's engine.)
import { FieldError } from './errors.js';

export function compileAnchoredRegex(source: string, ignoreCase: boolean, where: string): RegExp {
  let body = source;
  let flags = ignoreCase ? 'i' : '';
  if (body.startsWith('(?i)')) {
    body = body.slice(4);
    flags = 'i';
  }
  body = checkAndTranslate(body, where);
  try {
    return new RegExp(`^(?:${body})$`, flags);
  } catch (err) {
    throw new FieldError(where, `invalid regex ${JSON.stringify(source)}: ${(err as Error).message}`);
  }
}

/** Scans the pattern once, outside character classes, for constructs RE2 does not have. */
function checkAndTranslate(body: string, where: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') {
      const next = body[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || next === 'k')) {
        throw new FieldError(where, `regex ${JSON.stringify(body)}: backreferences are not supported (RE2 syntax)`);
      }
      out += c + next;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      // A `]` right after `[` or `[^` is a literal in RE2 but closes an empty class in V8: escape it.
      out += c;
      if (body[i + 1] === '^') out += body[++i];
      if (body[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && body[i + 1] === '?') {
      const rest = body.slice(i + 2, i + 4);
      if (rest.startsWith('=') || rest.startsWith('!') || rest === '<=' || rest === '<!') {
        throw new FieldError(where, `regex ${JSON.stringify(body)}: lookahead/lookbehind is not supported (RE2 syntax)`);
      }
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
    }
    out += c;
  }
  return out;
}
