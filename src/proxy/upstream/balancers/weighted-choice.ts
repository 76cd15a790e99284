// Weighted random choice among the endpoints that are available right now.
//
// Shared by random, least_request and consistent_hash (its fallback without a key). The alias
// table is built over all endpoints once per snapshot; a draw that lands on an unavailable one is
// rejected and redrawn. Rejection sampling keeps the exact distribution (weight / total weight
// of the available endpoints), and with few endpoints out (ejections are capped at
// maxEjectionPercent) it almost always succeeds at the first draw. After MAX_DRAWS rejections
// (most endpoints out) an O(n) pass over the available endpoints finishes the job, with the
// same distribution, so the worst case is bounded and still allocation-free.
import type { EndpointState, Random } from '../types.js';
import { AliasSampler } from './alias-sampler.js';
import type { Availability } from './availability.js';
import { FastRandom, RANDOM_SCALE } from './fast-random.js';

const MAX_DRAWS = 8;

export class WeightedChoice {
  private readonly sampler: AliasSampler;
  private readonly rng: FastRandom;

  constructor(
    private readonly endpoints: readonly EndpointState[],
    random: Random,
  ) {
    this.sampler = new AliasSampler(endpoints.map((e) => e.weight));
    this.rng = new FastRandom(random);
  }

  /** An available endpoint's index, or -1 when none is. `avail.begin()` is the caller's job. */
  pickIndex(avail: Availability): number {
    const n = this.endpoints.length;
    if (n === 0) return -1;
    for (let draw = 0; draw < MAX_DRAWS; draw++) {
      const i = this.sampler.sample(this.rng);
      if (avail.ok(this.endpoints[i])) return i;
    }
    return this.scan(avail);
  }

  /** Exact weighted choice by walking the available endpoints: two passes, no allocation. */
  private scan(avail: Availability): number {
    const eps = this.endpoints;
    let total = 0;
    let last = -1;
    for (let i = 0; i < eps.length; i++) {
      if (avail.ok(eps[i])) {
        total += eps[i].weight > 0 ? eps[i].weight : 0;
        last = i;
      }
    }
    if (last === -1) return -1;
    if (total === 0) return last;
    let r = (this.rng.next30() / RANDOM_SCALE) * total;
    for (let i = 0; i < eps.length; i++) {
      if (!avail.ok(eps[i])) continue;
      r -= eps[i].weight > 0 ? eps[i].weight : 0;
      if (r < 0) return i;
    }
    return last;
  }
}
