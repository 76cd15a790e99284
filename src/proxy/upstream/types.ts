// The upstream room's contract: per-cluster runtime state built once per snapshot (balancers,
// breakers, outlier detection, retry budget), consulted per request.
import type { Endpoint } from '../../model/snapshot.js';

/** One endpoint and everything the balancer and outlier detector track about it. */
export interface EndpointState {
  /** "address:port" ("[v6]:port" for IPv6), the stable identity of an endpoint across snapshots. */
  key: string;
  endpoint: Endpoint;
  weight: number;
  /** Requests in flight to this endpoint (least_request reads it). */
  active: number;
  /** Ejected by outlier detection until this time (ms since epoch); 0 = not ejected. */
  ejectedUntil: number;
  /**
   * The ejection multiplier (Envoy's eject_time_backoff): +1 at each ejection, −1 per detection
   * interval the host then stays in service. The next ejection lasts baseEjectionTime × this.
   */
  ejections: number;
  /** From the snapshot: false = never picked. */
  healthy: boolean;
}

/** What a pick may depend on, taken from the request. */
export interface PickContext {
  /** What a consistent-hash balancer hashes (see hash-key.ts). */
  hashKey?: string;
  /**
   * An endpoint to pick only if no other is available: on a retry, the one the previous try
   * failed on (Istio configures Envoy's previous_hosts retry predicate the same way by default).
   */
  avoid?: EndpointState;
}

export interface Balancer {
  /** An available endpoint (healthy, not ejected), or undefined when none is. */
  pick(ctx: PickContext): EndpointState | undefined;
}

/** How one try ended, as outlier detection and retry conditions see it. */
export type TryOutcome =
  | { kind: 'response'; status: number; grpcStatus?: number }
  | { kind: 'connect-failure' } // refused, unreachable, connect timeout
  | { kind: 'reset' } // connection closed/reset before a complete response head
  | { kind: 'refused-stream' } // HTTP/2 REFUSED_STREAM
  | { kind: 'timeout' }; // per-try timeout

/** Milliseconds since the epoch. Injected so tests can move time by hand. */
export type Clock = () => number;

/** A uniform number in [0, 1). Injected so tests can be deterministic. */
export type Random = () => number;
