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
import { hashString } from './hash.js';
import { WeightedChoice } from './weighted-choice.js';

/** Points per unit of weight: with 256 points an endpoint's share of keys is within a few % of fair. */
export const VNODES_PER_WEIGHT = 256;
/** Cap on the points of one ring (2 MiB of typed arrays). */
export const MAX_RING_POINTS = 1 << 18;

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
    const hashes: number[] = [];
    const owners: number[] = [];
    endpoints.forEach((e, idx) => {
      const count = Math.max(1, Math.round(Math.max(1, e.weight) * VNODES_PER_WEIGHT * scale));
      for (let i = 0; i < count; i++) {
        hashes.push(hashString(`${e.key}_${i}`));
        owners.push(idx);
      }
    });
    // Sort by hash; ties (rare 32-bit collisions) by endpoint key, so the order does not depend
    // on the order endpoints are listed in the snapshot.
    const order = hashes.map((_, i) => i);
    order.sort((a, b) => hashes[a] - hashes[b] || cmp(endpoints[owners[a]].key, endpoints[owners[b]].key));
    this.points = Uint32Array.from(order, (i) => hashes[i]);
    this.owners = Int32Array.from(order, (i) => owners[i]);
  }

  /** Number of points on the ring (for tests and /clusters). */
  get ringSize(): number {
    return this.points.length;
  }

  pick(ctx: PickContext): EndpointState | undefined {
    this.avail.begin();
    const key = ctx.hashKey;
    if (key === undefined) {
      const i = this.fallback.pickIndex(this.avail);
      return i === -1 ? undefined : this.endpoints[i];
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
    return undefined;
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
