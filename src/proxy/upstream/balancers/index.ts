// createBalancer: the load-balancing policy of a cluster (or subset) as a Balancer, built once per
// snapshot over a fixed list of EndpointStates. Picks read the states live (active, ejectedUntil,
// healthy), so ejections and load changes take effect without a rebuild.
import type { LoadBalancer } from '../../../model/snapshot.js';
import type { Balancer, Clock, EndpointState, Random } from '../types.js';
import { LeastRequestBalancer } from './least-request.js';
import { RandomBalancer } from './random.js';
import { RingHashBalancer } from './ring-hash.js';
import { RoundRobinBalancer } from './round-robin.js';

export interface BalancerOptions {
  /** Default Date.now; compared with EndpointState.ejectedUntil. */
  clock?: Clock;
  /** Default Math.random. */
  random?: Random;
}

/**
 * The balancer for `lb` (round robin when unset, as in Envoy and Istio). `endpoints` is used as
 * given: include unhealthy ones too, they are skipped at pick time.
 */
export function createBalancer(
  lb: LoadBalancer | undefined,
  endpoints: EndpointState[],
  options: BalancerOptions = {},
): Balancer {
  const clock = options.clock ?? Date.now;
  const random = options.random ?? Math.random;
  const list = endpoints.slice();
  switch (lb?.policy) {
    case undefined:
    case 'round_robin':
      return new RoundRobinBalancer(list, clock, random);
    case 'least_request':
      return new LeastRequestBalancer(list, clock, random);
    case 'random':
      return new RandomBalancer(list, clock, random);
    case 'consistent_hash':
      return new RingHashBalancer(list, clock, random);
  }
}

export { LeastRequestBalancer, RandomBalancer, RingHashBalancer, RoundRobinBalancer };
