// Weighted random choice in O(1) with one uniform number: Vose's alias method.
//
// Why: random and least_request draw weighted candidates on every request. A cumulative-weight
// binary search would be O(log n); the alias table answers in constant time and is built once per
// snapshot (O(n)). sample() allocates nothing.
export class AliasSampler {
  readonly size: number;
  /** Probability of keeping column i (else take alias[i]). */
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;

  /** Weights must be ≥ 0; if they are all 0, every index is equally likely. */
  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    this.size = n;
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    if (n === 0) return;
    let total = 0;
    for (let i = 0; i < n; i++) total += Math.max(0, weights[i]);
    const scaled = new Float64Array(n);
    for (let i = 0; i < n; i++) scaled[i] = total > 0 ? (Math.max(0, weights[i]) * n) / total : 1;
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) (scaled[i] < 1 ? small : large).push(i);
    while (small.length > 0 && large.length > 0) {
      const s = small.pop() as number;
      const l = large.pop() as number;
      this.prob[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      (scaled[l] < 1 ? small : large).push(l);
    }
    // Leftovers are 1 up to rounding error.
    for (const i of large) this.prob[i] = 1;
    for (const i of small) this.prob[i] = 1;
  }

  /** An index drawn with probability weight/total, from one uniform u in [0, 1). */
  sample(u: number): number {
    const x = u * this.size;
    const i = Math.floor(x);
    // u < 1 guarantees i < size; the guard protects against a caller's out-of-range random.
    const col = i < this.size ? i : this.size - 1;
    return x - col < this.prob[col] ? col : this.alias[col];
  }
}
