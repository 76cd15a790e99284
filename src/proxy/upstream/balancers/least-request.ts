// least_request: the power of two choices, weighted.
//
// Draw two candidates at random (weighted by endpoint weight) and take the one with fewer
// requests in flight per unit of weight (active / weight). Why two and not all: looking at every
// endpoint costs O(n) and herds every proxy onto the same "least loaded" endpoint at the same
// instant; two random choices avoid the herd and are known to bring the maximum load down
// exponentially compared with one random choice (Mitzenmacher), in O(1).
//
// Why weighted draws and the active/weight comparison: with no load at all (every active = 0)
// the first candidate wins ties, so traffic follows the weights exactly as `random` would; under
// load an endpoint of weight 3 is expected to carry three times the requests of one of weight 1,
// so loads are compared relative to weight. (Envoy switches to a different scheduler when
// weights differ; one rule for both cases is simpler and has the same intent.)
import type { Balancer, Clock, EndpointState, PickContext, Random } from '../types.js';
import { Availability } from './availability.js';
import { WeightedChoice } from './weighted-choice.js';

/** How often the second draw may repeat the first before we settle for one candidate. */
const DISTINCT_TRIES = 3;

export class LeastRequestBalancer implements Balancer {
  private readonly avail: Availability;
  private readonly choice: WeightedChoice;

  constructor(
    private readonly endpoints: readonly EndpointState[],
    clock: Clock,
    random: Random,
  ) {
    this.avail = new Availability(clock);
    this.choice = new WeightedChoice(endpoints, random);
  }

  pick(ctx: PickContext): EndpointState | undefined {
    this.avail.begin(ctx.avoid);
    const a = this.choice.pickIndex(this.avail);
    if (a === -1) return this.avail.fallback();
    let b = a;
    for (let t = 0; t < DISTINCT_TRIES && b === a; t++) b = this.choice.pickIndex(this.avail);
    const ea = this.endpoints[a];
    if (b === a) return ea;
    const eb = this.endpoints[b];
    // ea.active / ea.weight <= eb.active / eb.weight, without dividing (weights are > 0).
    return ea.active * eb.weight <= eb.active * ea.weight ? ea : eb;
  }
}
