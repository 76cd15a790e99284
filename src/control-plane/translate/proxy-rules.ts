// The proxy's own acceptance rules, reused so translate never emits a snapshot that
// validateSnapshot refuses: a value the proxy would reject is dropped here, with a warning,
// instead of making the whole snapshot fail (and every other route with it).
import { isToken } from '../../proxy/config/check-headers.js';
import { compileAnchoredRegex } from '../../proxy/router/regex.js';
import { RETRY_ON_CONDITIONS } from '../../proxy/upstream/retry.js';

/** A header (field) name the proxy accepts: an RFC 9110 token. */
export function isHeaderName(name: string): boolean {
  return isToken(name);
}

/** A header value the proxy accepts: no CR, LF or NUL. */
export function isHeaderValue(value: string): boolean {
  return !/[\r\n\0]/.test(value);
}

/** Why the router would refuse this regex, or undefined when it compiles (anchored, RE2 rules). */
export function regexProblem(source: string, ignoreCase = false): string | undefined {
  try {
    compileAnchoredRegex(source, ignoreCase, 'regex');
    return undefined;
  } catch (err) {
    return (err as { reason?: string }).reason ?? String(err);
  }
}

export function isRetryCondition(name: string): boolean {
  return Object.hasOwn(RETRY_ON_CONDITIONS, name);
}
