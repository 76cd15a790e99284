// round_robin: smooth weighted round robin, O(1) for equal weights and O(log n) otherwise.
//
// Equal weights (the common case): a cursor walks the endpoints in order.
//
// Unequal weights: earliest-deadline-first scheduling, as Envoy's weighted round robin does.
// Every endpoint i has a virtual deadline; picking the endpoint with the earliest deadline then
// pushing that deadline back by 1/weight_i means each endpoint is picked at evenly spaced moments
// of virtual time, weight_i times per unit. That is the "smooth" property of nginx's smooth
// weighted round robin (weights 5,1,1 give a a b a c a a-like interleavings, never a a a a a b c):
// over any stretch of picks each endpoint's count stays within about one pick of its weight
// share. nginx's formulation costs O(n) per pick; the deadline heap costs O(log n) and the
// heap lives in typed arrays, so a pick allocates nothing.
//
// Unavailable endpoints (unhealthy, ejected) keep their slots in the schedule and are skipped
// when their turn comes, so the others keep their relative weights. After n skipped turns in a
// row (a heavy endpoint is out) the pick scans for the available endpoint due first, so a pick
// costs at most O(n); it returns undefined when nothing is available.
import type { Balancer, Clock, EndpointState, PickContext, Random } from '../types.js';
import { Availability } from './availability.js';

/** Deadlines are rebased to 0 past this so doubles keep their precision over months of picks. */
const REBASE_AT = 1e9;

export class RoundRobinBalancer implements Balancer {
  private readonly avail: Availability;
  private readonly n: number;
  private readonly weighted: boolean;
  // Equal weights: the next index to try.
  private cursor = 0;
  // Unequal weights: a binary min-heap of endpoint indices keyed by (deadline, seq).
  private readonly heap: Int32Array;
  private readonly deadline: Float64Array;
  private readonly seq: Float64Array;
  private readonly step: Float64Array;
  private counter = 0;

  constructor(
    private readonly endpoints: readonly EndpointState[],
    clock: Clock,
    random: Random,
  ) {
    this.avail = new Availability(clock);
    const n = endpoints.length;
    this.n = n;
    this.weighted = endpoints.some((e) => e.weight !== endpoints[0].weight);
    this.heap = new Int32Array(this.weighted ? n : 0);
    this.deadline = new Float64Array(this.weighted ? n : 0);
    this.seq = new Float64Array(this.weighted ? n : 0);
    this.step = new Float64Array(this.weighted ? n : 0);
    // A random starting point, so a fleet of proxies that all load the same snapshot at once
    // does not send its first requests to the same endpoint.
    const start = n > 0 ? Math.floor(random() * n) % n : 0;
    if (!this.weighted) {
      this.cursor = start;
      return;
    }
    for (let i = 0; i < n; i++) {
      const w = endpoints[i].weight > 0 ? endpoints[i].weight : 1;
      this.step[i] = 1 / w;
      // Half a step in: the first picks of a heavy endpoint interleave with the light ones
      // instead of all coming first.
      this.deadline[i] = 0.5 / w;
      this.seq[i] = i;
      this.heap[i] = i;
    }
    this.counter = n;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i);
    for (let i = 0; i < start; i++) this.advance();
  }

  pick(ctx: PickContext): EndpointState | undefined {
    const n = this.n;
    if (n === 0) return undefined;
    this.avail.begin(ctx.avoid);
    if (!this.weighted) {
      for (let tries = 0; tries < n; tries++) {
        const e = this.endpoints[this.cursor];
        this.cursor = this.cursor + 1 === n ? 0 : this.cursor + 1;
        if (this.avail.ok(e)) return e;
      }
      return this.avail.fallback();
    }
    for (let tries = 0; tries < n; tries++) {
      const e = this.endpoints[this.advance()];
      if (this.avail.ok(e)) return e;
    }
    return this.pickByScan(ctx.avoid);
  }

  /**
   * n turns in a row went to unavailable endpoints (a heavy endpoint is out or avoided: its turns
   * come often). Take the available endpoint whose turn comes first, in O(n), so a pick never
   * walks through a long run of a heavy endpoint's turns. Unavailable endpoints whose turns were
   * jumped over are moved past them, as the normal path would have done; otherwise a heavy
   * endpoint coming back would find its deadline far behind and take every pick until it caught
   * up, starving the others. (The avoided endpoint is left alone: it is out for this one request.)
   */
  private pickByScan(avoid: EndpointState | undefined): EndpointState | undefined {
    let best = -1;
    for (let i = 0; i < this.n; i++) {
      if (this.avail.ok(this.endpoints[i]) && (best === -1 || this.before(i, best))) best = i;
    }
    if (best === -1) return this.avail.fallback();
    const target = this.deadline[best];
    for (let i = 0; i < this.n; i++) {
      const e = this.endpoints[i];
      if (i === best || e === avoid || this.deadline[i] >= target || this.avail.ok(e)) continue;
      this.deadline[i] += Math.ceil((target - this.deadline[i]) / this.step[i]) * this.step[i];
      this.seq[i] = this.counter++;
    }
    this.deadline[best] = target + this.step[best];
    this.seq[best] = this.counter++;
    for (let i = (this.n >> 1) - 1; i >= 0; i--) this.siftDown(i);
    return this.endpoints[best];
  }

  /** Takes the endpoint with the earliest deadline, reschedules it, returns its index. */
  private advance(): number {
    const i = this.heap[0];
    const t = this.deadline[i];
    this.deadline[i] = t + this.step[i];
    this.seq[i] = this.counter++;
    this.siftDown(0);
    if (t > REBASE_AT) this.rebase(t);
    return i;
  }

  private rebase(t: number): void {
    for (let i = 0; i < this.n; i++) this.deadline[i] -= t;
  }

  private before(a: number, b: number): boolean {
    const da = this.deadline[a];
    const db = this.deadline[b];
    return da < db || (da === db && this.seq[a] < this.seq[b]);
  }

  private siftDown(pos: number): void {
    const heap = this.heap;
    const n = this.n;
    const item = heap[pos];
    for (;;) {
      const left = 2 * pos + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.before(heap[right], heap[left]) ? right : left;
      if (!this.before(heap[child], item)) break;
      heap[pos] = heap[child];
      pos = child;
    }
    heap[pos] = item;
  }
}
