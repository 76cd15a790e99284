// Header names and values, checked at load time: Node throws ERR_INVALID_HTTP_TOKEN /
// ERR_INVALID_CHAR when such a header is set, which would otherwise surface on the request path.
import type { HeaderMutation } from '../../model/snapshot.js';
import type { CheckContext } from './check-context.js';
import type { FieldPath } from './path.js';

/** RFC 9110 token: the characters a field name may use. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TOKEN_HINT = "letters, digits and !#$%&'*+-.^_`|~ only";

export function isToken(s: string): boolean {
  return TOKEN.test(s);
}

export function checkHeaderName(ctx: CheckContext, path: FieldPath, name: string): void {
  if (isToken(name)) return;
  // The router matches only real header fields: a `:authority` rule would silently never match.
  const hint = name.startsWith(':')
    ? 'pseudo-headers cannot be used here: match the authority with virtual host domains, :path with match.path, :method with match.methods'
    : TOKEN_HINT;
  ctx.report(path, `not a valid header name (${hint}) (got ${JSON.stringify(name)})`);
}

export function checkHeaderValue(ctx: CheckContext, path: FieldPath, value: string): void {
  if (/[\r\n\0]/.test(value)) ctx.report(path, 'header value must not contain CR, LF or NUL');
}

/** Names and values of a map such as DirectResponse.headers. */
export function checkHeaderMap(ctx: CheckContext, path: FieldPath, map: Record<string, string> | undefined): void {
  for (const [name, value] of Object.entries(map ?? {})) {
    if (!isToken(name)) checkHeaderName(ctx, [...path, name], name);
    else checkHeaderValue(ctx, [...path, name], value);
  }
}

export function checkHeaderMutation(ctx: CheckContext, path: FieldPath, m: HeaderMutation | undefined): void {
  if (!m) return;
  checkHeaderMap(ctx, [...path, 'add'], m.add);
  checkHeaderMap(ctx, [...path, 'set'], m.set);
  (m.remove ?? []).forEach((name, i) => checkHeaderName(ctx, [...path, 'remove', i], name));
}
