// Per-cluster circuit breakers, Envoy style: four counters of things open at once (connections,
// requests waiting for a connection, requests in flight, retries in flight), each with a limit.
// Over a limit the caller fails fast (503 "breaker open") instead of queueing without bound: a
// slow upstream then costs callers one quick error, not memory and a pile of timeouts.
//
// Limits come from the cluster's ConnectionPool. Unset limits are 1024, Envoy's default for
// max_connections, max_pending_requests and max_requests. Envoy's own default for max_retries is
// 3; maille uses 1024 for it too, because Istio (whose YAML maille accepts as is) always
// configures Envoy with an effectively unlimited max_retries, and a limit of 3 concurrent
// retries per cluster would surprise its users. What stops retry storms in maille is the retry
// budget (retry-budget.ts), which scales with traffic; this breaker only bounds concurrency.
//
// The object lives across snapshot swaps (setLimits), so requests admitted under the old
// snapshot release into the same counters they were counted in.
import type { ConnectionPool } from '../../model/snapshot.js';

export type BreakerKind = 'connections' | 'pending' | 'requests' | 'retries';

export const BREAKER_KINDS: readonly BreakerKind[] = ['connections', 'pending', 'requests', 'retries'];

/** Envoy's default threshold (see the file comment for max_retries). */
export const DEFAULT_BREAKER_LIMIT = 1024;

export type BreakerCounts = Record<BreakerKind, number>;

export function breakerLimits(pool: ConnectionPool | undefined): BreakerCounts {
  return {
    connections: pool?.maxConnections ?? DEFAULT_BREAKER_LIMIT,
    pending: pool?.maxPendingRequests ?? DEFAULT_BREAKER_LIMIT,
    requests: pool?.maxRequests ?? DEFAULT_BREAKER_LIMIT,
    retries: pool?.maxRetries ?? DEFAULT_BREAKER_LIMIT,
  };
}

export class CircuitBreaker {
  private limitsNow: BreakerCounts;
  /** What is open right now, per kind (gauges). */
  readonly open: BreakerCounts = { connections: 0, pending: 0, requests: 0, retries: 0 };
  /** How many acquisitions were refused, per kind, since the proxy started (counters). */
  readonly trips: BreakerCounts = { connections: 0, pending: 0, requests: 0, retries: 0 };

  constructor(pool?: ConnectionPool) {
    this.limitsNow = breakerLimits(pool);
  }

  get limits(): Readonly<BreakerCounts> {
    return this.limitsNow;
  }

  /**
   * New limits from a new snapshot. Counts are kept: if the new limit is below what is already
   * open, new acquisitions fail until enough are released.
   */
  setLimits(pool: ConnectionPool | undefined): void {
    this.limitsNow = breakerLimits(pool);
  }

  /** Takes one unit of `kind` if under the limit; otherwise counts a trip and returns false. */
  tryAcquire(kind: BreakerKind): boolean {
    if (this.open[kind] >= this.limitsNow[kind]) {
      this.trips[kind]++;
      return false;
    }
    this.open[kind]++;
    return true;
  }

  /** Gives back one unit taken by a successful tryAcquire. Never goes below zero. */
  release(kind: BreakerKind): void {
    if (this.open[kind] > 0) this.open[kind]--;
  }

  /** True when the next tryAcquire(kind) would fail (Envoy's *_open gauges). */
  isOpen(kind: BreakerKind): boolean {
    return this.open[kind] >= this.limitsNow[kind];
  }

  /** How many more of `kind` may be acquired now (Envoy's remaining_* gauges). */
  remaining(kind: BreakerKind): number {
    return Math.max(0, this.limitsNow[kind] - this.open[kind]);
  }
}
