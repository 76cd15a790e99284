// x-request-id values: unique per request, UUID-shaped so tools that expect a UUID accept them.
//
// A random 64-bit prefix per process plus a counter: unique across proxies (the prefix) and
// within one (the counter), at the cost of one short string per request. crypto.randomUUID per
// request measured at several hundred bytes of garbage each, a real share of the proxy's budget.
import { randomBytes } from 'node:crypto';

const prefix = (() => {
  const h = randomBytes(10).toString('hex'); // 20 hex chars
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-`;
})();
let counter = 0;

export function nextRequestId(): string {
  counter = (counter + 1) % 0x1000000000000; // 12 hex digits
  return prefix + counter.toString(16).padStart(12, '0');
}
