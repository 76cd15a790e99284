// A fast, well-mixed 32-bit string hash for the hash ring: FNV-1a over UTF-16 code units, then
// murmur3's finalizer (fmix32).
//
// Why this one: it runs per request on the hash key, so it must not allocate (no TextEncoder,
// no Buffer) and must be quick on short strings. FNV-1a alone mixes the last characters poorly
// ("host:1" and "host:2" land close together); the finalizer spreads them over the whole ring.
// It is not a cryptographic hash: a client that chooses its own keys can choose where they land,
// which is inherent to consistent hashing anyway.
export const FNV_OFFSET = 0x811c9dc5;

export function hashString(s: string): number {
  return finishHash(feedString(FNV_OFFSET, s));
}

/** FNV-1a state after `s`, starting from `h` (lets the ring hash "<key>_<i>" without building it). */
export function feedString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/** FNV-1a state after the decimal digits of a non-negative integer. */
export function feedDecimal(h: number, n: number): number {
  let div = 1;
  while (div * 10 <= n) div *= 10;
  for (; div >= 1; div = Math.floor(div / 10)) {
    h ^= 48 + (Math.floor(n / div) % 10);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/** hashString of the string whose FNV-1a state is `h`. */
export function finishHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
