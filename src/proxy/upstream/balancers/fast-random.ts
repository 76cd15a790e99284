// The balancers' own random numbers: a small PRNG (mulberry32) whose state lives in a typed array
// and whose results are small integers.
//
// Why not call Math.random (or the injected Random) on every pick: a double returned from a call
// V8 does not inline is boxed into a fresh heap number, a small allocation per pick that shows up
// as young-generation GCs at high request rates. Integers below 2^30 are never boxed, and neither
// is state kept in a Uint32Array. The injected Random only seeds the generator, so tests with a
// seeded Random stay reproducible.
import type { Random } from '../types.js';

const TWO_POW_30 = 1073741824;

export class FastRandom {
  private readonly state = new Uint32Array(1);

  constructor(seedFrom: Random) {
    this.state[0] = Math.floor(seedFrom() * 4294967296) >>> 0;
  }

  /** A uniform integer in [0, 2^30). */
  next30(): number {
    const a = (this.state[0] + 0x6d2b79f5) >>> 0;
    this.state[0] = a;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 2;
  }

  /** A uniform integer in [0, n), for 0 < n ≤ 2^30. */
  below(n: number): number {
    return Math.floor((this.next30() * n) / TWO_POW_30);
  }
}

/** The scale of next30(): thresholds compared with it are probabilities × 2^30. */
export const RANDOM_SCALE = TWO_POW_30;
