// Weighted destinations (canary, blue/green): a cumulative weight array built once, so a pick is
// one multiplication and a short scan (binary search when a route has many destinations).
//
// Weights are relative and need not sum to 100; default 1. A weight-0 destination is never
// picked (it occupies an empty interval of the cumulative array), which is how a canary is
// parked at 0% without deleting it. If every weight is 0 the route would have no answer at all;
// we then split evenly instead, since sending the traffic somewhere configured beats a 503
// the author clearly did not ask for.
import type { WeightedDestination } from '../../model/snapshot.js';
import type { CompiledDestination } from './types.js';
import { compileHeaderMutation } from './header-mutation.js';

/** Past this many destinations the pick switches from a linear scan to binary search. */
const LINEAR_MAX = 8;

export class DestinationPicker {
  readonly destinations: CompiledDestination[];
  /** cumulative[i] = sum of effective weights of destinations 0..i. */
  readonly cumulative: Float64Array;
  readonly total: number;
  /** The last destination with a positive effective weight: the answer when rand is at or past 1. */
  private readonly last: CompiledDestination;

  constructor(destinations: CompiledDestination[]) {
    this.destinations = destinations;
    const allZero = destinations.every((d) => d.weight === 0);
    this.cumulative = new Float64Array(destinations.length);
    let sum = 0;
    let last = destinations[destinations.length - 1];
    for (let i = 0; i < destinations.length; i++) {
      const w = allZero ? 1 : destinations[i].weight;
      sum += w;
      this.cumulative[i] = sum;
      if (w > 0) last = destinations[i];
    }
    this.total = sum;
    this.last = last;
  }

  /** @param rand uniform in [0,1) */
  pick(rand: number): CompiledDestination {
    const d = this.destinations;
    if (d.length === 1) return d[0];
    const r = rand * this.total;
    const cum = this.cumulative;
    if (d.length <= LINEAR_MAX) {
      for (let i = 0; i < cum.length; i++) if (r < cum[i]) return d[i];
      return this.last;
    }
    // First index with r < cum[i].
    let lo = 0;
    let hi = cum.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r < cum[mid]) hi = mid;
      else lo = mid + 1;
    }
    return lo < d.length ? d[lo] : this.last;
  }
}

export function compileDestinations(list: WeightedDestination[], where: string): CompiledDestination[] {
  return list.map((d, i) => ({
    cluster: d.cluster,
    subset: d.subset,
    weight: d.weight ?? 1,
    requestHeaders: compileHeaderMutation(d.requestHeaders, `${where}[${i}].requestHeaders`),
    responseHeaders: compileHeaderMutation(d.responseHeaders, `${where}[${i}].responseHeaders`),
  }));
}
