// consistent_hash: a hash ring with virtual nodes (Karger et al.; Envoy's ring_hash, ketama).
//
// Why a ring rather than Maglev: the ring gives the property users of consistent hashing care
// about most, stated simply: removing an endpoint moves only the keys that endpoint owned (about
// 1/n of them) and every other key stays where it was; and when an endpoint is ejected or
// unhealthy its keys fall to the next endpoint clockwise, so those keys move once and come back
// when it returns. Maglev answers in O(1) instead of O(log n) but handles an unavailable endpoint
// by rebuilding its table, which a per-request skip cannot do.
//
// Layout: each endpoint owns VNODES_PER_WEIGHT × weight points at hash("<key>_<i>"). The points
// depend only on the endpoint's own key and weight, never on the other endpoints, so a
// membership change adds or removes exactly that endpoint's points. The ring is two typed arrays
// sorted by hash (points and owners); a lookup is a binary search plus a short walk past
// unavailable owners, with no allocation.
//
// Rings past MAX_RING_POINTS (huge weights × many endpoints) are scaled down proportionally to
// bound memory (8 bytes per point); in that regime the point counts depend on the total weight,
// so a membership change can move slightly more than 1/n of the keys.
//
// Without a hash key (the request lacks the header, cookie…) the pick is weighted random.
import type { Balancer, Clock, EndpointState, PickContext, Random } from '../types.js';
import { Availability } from './availability.js';
import { FNV_OFFSET, feedDecimal, feedString, finishHash, hashString } from './hash.js';
import { WeightedChoice } from './weighted-choice.js';

/** Points per unit of weight: with 256 points an endpoint's share of keys is within a few % of fair. */
export const VNODES_PER_WEIGHT = 256;
/** Cap on the points of one ring (2 MiB of typed arrays). */
export const MAX_RING_POINTS = 1 << 18;
/** Room for endpoint ranks in a packed point (up to 2^21 endpoints). */
const RANK_SPACE = 1 << 21;

export class RingHashBalancer implements Balancer {
  private readonly avail: Availability;
  private readonly fallback: WeightedChoice;
  private readonly points: Uint32Array;
  private readonly owners: Int32Array;

  constructor(
    private readonly endpoints: readonly EndpointState[],
    clock: Clock,
    random: Random,
  ) {
    this.avail = new Availability(clock);
    this.fallback = new WeightedChoice(endpoints, random);
    let totalWeight = 0;
    for (const e of endpoints) totalWeight += Math.max(1, e.weight);
    const wanted = totalWeight * VNODES_PER_WEIGHT;
    const scale = wanted > MAX_RING_POINTS ? MAX_RING_POINTS / wanted : 1;
    // Rank endpoints by key: points that collide (same 32-bit hash) are then ordered by key, so
    // the ring does not depend on the order endpoints are listed in the snapshot.
    const byKey = endpoints.map((_, i) => i).sort((a, b) => cmp(endpoints[a].key, endpoints[b].key));
    const counts = endpoints.map((e) => Math.max(1, Math.round(Math.max(1, e.weight) * VNODES_PER_WEIGHT * scale)));
    const total = counts.reduce((a, b) => a + b, 0);
    // Each point packed into one double, hash × 2^21 + rank (exact below 2^53), so a native
    // numeric sort orders the ring; no per-point objects or strings are built.
    const packed = new Float64Array(total);
    let p = 0;
    byKey.forEach((idx, rank) => {
      const prefix = feedString(feedString(FNV_OFFSET, endpoints[idx].key), '_');
      for (let i = 0; i < counts[idx]; i++) packed[p++] = finishHash(feedDecimal(prefix, i)) * RANK_SPACE + rank;
    });
    packed.sort();
    this.points = new Uint32Array(total);
    this.owners = new Int32Array(total);
    for (let i = 0; i < total; i++) {
      const rank = packed[i] % RANK_SPACE;
      this.points[i] = (packed[i] - rank) / RANK_SPACE;
      this.owners[i] = byKey[rank];
    }
  }

  /** Number of points on the ring (for tests and /clusters). */
  get ringSize(): number {
    return this.points.length;
  }

  pick(ctx: PickContext): EndpointState | undefined {
    this.avail.begin(ctx.avoid);
    const key = ctx.hashKey;
    if (key === undefined) {
      const i = this.fallback.pickIndex(this.avail);
      return i === -1 ? this.avail.fallback() : this.endpoints[i];
    }
    const len = this.points.length;
    if (len === 0) return undefined;
    let pos = this.lowerBound(hashString(key));
    // Walk clockwise to the first available owner. Consecutive points of the same owner are
    // checked cheaply; in the worst case (all out) one full turn.
    let lastRejected = -1;
    for (let step = 0; step < len; step++) {
      if (pos === len) pos = 0;
      const owner = this.owners[pos];
      if (owner !== lastRejected) {
        const e = this.endpoints[owner];
        if (this.avail.ok(e)) return e;
        lastRejected = owner;
      }
      pos++;
    }
    return this.avail.fallback();
  }

  /** First index whose point is ≥ h (len when none: wraps to 0). */
  private lowerBound(h: number): number {
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
