// Creating EndpointStates and the one availability rule every balancer shares.
import type { Endpoint } from '../../model/snapshot.js';
import type { EndpointState } from './types.js';

/**
 * The identity of an endpoint across snapshots: "address:port". IPv6 addresses are bracketed
 * ("[::1]:8080") so the key reads like a URL authority and the port is unambiguous.
 */
export function endpointKey(endpoint: Pick<Endpoint, 'address' | 'port'>): string {
  const a = endpoint.address;
  return a.includes(':') && !a.startsWith('[') ? `[${a}]:${endpoint.port}` : `${a}:${endpoint.port}`;
}

/** A fresh state for an endpoint first seen in this snapshot. */
export function newEndpointState(endpoint: Endpoint): EndpointState {
  return {
    key: endpointKey(endpoint),
    endpoint,
    weight: endpoint.weight ?? 1,
    active: 0,
    ejectedUntil: 0,
    ejections: 0,
    healthy: endpoint.healthy ?? true,
  };
}

/**
 * True when the endpoint may be picked at `now`: healthy per the snapshot and not ejected.
 * An ejection ends by itself when its time passes: the balancer does not wait for the outlier
 * detector's next sweep, so a readmitted host gets traffic at the moment its ejection ends.
 */
export function isAvailable(e: EndpointState, now: number): boolean {
  return e.healthy && e.ejectedUntil <= now;
}
