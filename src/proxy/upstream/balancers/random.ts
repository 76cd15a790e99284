// random: each pick an available endpoint with probability weight / total available weight.
//
// Why offer it: it needs no shared state at all, and with many proxies in front of the same
// endpoints it spreads load as well as round robin without any coordination.
import type { Balancer, Clock, EndpointState, PickContext, Random } from '../types.js';
import { Availability } from './availability.js';
import { WeightedChoice } from './weighted-choice.js';

export class RandomBalancer implements Balancer {
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
    const i = this.choice.pickIndex(this.avail);
    return i === -1 ? this.avail.fallback() : this.endpoints[i];
  }
}
