// x-request-id values: unique per request, UUID-shaped so tools that expect a UUID accept them.
//
// A random 64-bit prefix per process plus a counter: unique across proxies (the prefix) and
// within one (the counter). crypto.randomUUID per request measured at several hundred bytes of
// garbage each, a real share of the proxy's budget. The id is kept as latin1 bytes and the counter
// incremented in place, in hex: one string per request (formatting the counter with toString and
// padStart made three).
import { randomBytes } from 'node:crypto';

const COUNTER_DIGITS = 12;

const id = (() => {
  const h = randomBytes(10).toString('hex'); // 20 hex chars
  const prefix = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-`;
  return Buffer.from(prefix + '0'.repeat(COUNTER_DIGITS), 'latin1');
})();

export function nextRequestId(): string {
  // Adds one to the hex counter at the end of `id`; 12 digits wrap around after 2^48 ids.
  for (let i = id.length - 1; i >= id.length - COUNTER_DIGITS; i--) {
    const c = id[i];
    if (c === 57) {
      id[i] = 97; // '9' → 'a'
      break;
    }
    if (c !== 102) {
      id[i] = c + 1;
      break;
    }
    id[i] = 48; // 'f' → '0', carry on
  }
  return id.toString('latin1');
}
