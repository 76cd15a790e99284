// Weighted random choice in O(1): Vose's alias method.
//
// Why: random and least_request draw weighted candidates on every request. A cumulative-weight
// binary search would be O(log n); the alias table answers in constant time with two random
// integers and is built once per snapshot (O(n)). sample() allocates nothing.
import { type FastRandom, RANDOM_SCALE } from './fast-random.js';

export class AliasSampler {
  readonly size: number;
  /** Keep column i when next30() < threshold[i] (a probability scaled to 2^30), else alias[i]. */
  private readonly threshold: Int32Array;
  private readonly alias: Int32Array;

  /** Weights must be ≥ 0; if they are all 0, every index is equally likely. */
  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    this.size = n;
    this.threshold = new Int32Array(n);
    this.alias = new Int32Array(n);
    if (n === 0) return;
    let total = 0;
    for (let i = 0; i < n; i++) total += Math.max(0, weights[i]);
    const scaled = new Float64Array(n);
    for (let i = 0; i < n; i++) scaled[i] = total > 0 ? (Math.max(0, weights[i]) * n) / total : 1;
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) (scaled[i] < 1 ? small : large).push(i);
    const prob = new Float64Array(n);
    while (small.length > 0 && large.length > 0) {
      const s = small.pop() as number;
      const l = large.pop() as number;
      prob[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      (scaled[l] < 1 ? small : large).push(l);
    }
    // Leftovers are 1 up to rounding error.
    for (const i of large) prob[i] = 1;
    for (const i of small) prob[i] = 1;
    for (let i = 0; i < n; i++) this.threshold[i] = Math.round(prob[i] * RANDOM_SCALE);
  }

  /** An index drawn with probability weight / total weight. */
  sample(rng: FastRandom): number {
    const col = rng.below(this.size);
    return rng.next30() < this.threshold[col] ? col : this.alias[col];
  }
}
