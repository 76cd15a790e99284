// Retry decisions: which outcomes a route's retry policy retries, and how long to wait before
// the next try. The budget that bounds retries in total is in retry-budget.ts (re-exported here).
//
// Conditions follow Envoy's x-envoy-retry-on / x-envoy-retry-grpc-on, which Istio's retryOn uses:
// - 5xx: any 5xx response, and any try that got no response at all (connect failure, reset,
//   refused stream, per-try timeout): Envoy counts those as 5xx because it would answer 503/504.
// - gateway-error: 502, 503, 504, and likewise any try with no response.
// - reset: any try with no response (disconnect, reset, refused stream, per-try timeout).
// - connect-failure: the connection could not be made (refused, unreachable, connect timeout).
// - refused-stream: HTTP/2 REFUSED_STREAM (the server guarantees it did not process the request).
// - retriable-status-codes: a response whose status is in retriableStatusCodes.
// - cancelled, deadline-exceeded, internal, resource-exhausted, unavailable: a response whose
//   grpc-status is 1, 4, 13, 8, 14 respectively.
// Like Istio, a bare status code in retryOn ("503") means that code is retriable.
//
// The policy is compiled once into a bit mask (cached per policy object), so a decision on the
// request path is a few integer tests.
import type { RetryPolicy } from '../../model/snapshot.js';
import type { Random, TryOutcome } from './types.js';

export { DEFAULT_RETRY_BUDGET, RetryBudget } from './retry-budget.js';

const ON_5XX = 1 << 0;
const ON_GATEWAY = 1 << 1;
const ON_RESET = 1 << 2;
const ON_CONNECT_FAILURE = 1 << 3;
const ON_REFUSED_STREAM = 1 << 4;
const ON_STATUS_CODES = 1 << 5;
const ON_GRPC_CANCELLED = 1 << 6;
const ON_GRPC_DEADLINE = 1 << 7;
const ON_GRPC_INTERNAL = 1 << 8;
const ON_GRPC_EXHAUSTED = 1 << 9;
const ON_GRPC_UNAVAILABLE = 1 << 10;

/** Every condition retryOn may name. */
export const RETRY_ON_CONDITIONS: Readonly<Record<string, number>> = {
  '5xx': ON_5XX,
  'gateway-error': ON_GATEWAY,
  reset: ON_RESET,
  'connect-failure': ON_CONNECT_FAILURE,
  'refused-stream': ON_REFUSED_STREAM,
  'retriable-status-codes': ON_STATUS_CODES,
  cancelled: ON_GRPC_CANCELLED,
  'deadline-exceeded': ON_GRPC_DEADLINE,
  internal: ON_GRPC_INTERNAL,
  'resource-exhausted': ON_GRPC_EXHAUSTED,
  unavailable: ON_GRPC_UNAVAILABLE,
};

/** Envoy's default backoff base (upstream.base_retry_backoff_ms). */
export const DEFAULT_BACKOFF_BASE_MS = 25;

interface CompiledRetryOn {
  mask: number;
  codes: ReadonlySet<number>;
}

const compiled = new WeakMap<RetryPolicy, CompiledRetryOn>();

/** The conditions of a policy as a mask plus its retriable status codes. Unknown names are ignored here (validation reports them). */
export function compileRetryOn(policy: RetryPolicy): CompiledRetryOn {
  let c = compiled.get(policy);
  if (c !== undefined) return c;
  let mask = 0;
  const codes = new Set<number>(policy.retriableStatusCodes ?? []);
  for (const raw of policy.retryOn) {
    const name = raw.trim();
    const bit = Object.hasOwn(RETRY_ON_CONDITIONS, name) ? RETRY_ON_CONDITIONS[name] : 0;
    if (bit !== 0) mask |= bit;
    else if (/^[1-5][0-9][0-9]$/.test(name)) {
      codes.add(Number(name));
      mask |= ON_STATUS_CODES;
    }
  }
  c = { mask, codes };
  compiled.set(policy, c);
  return c;
}

/** Names in retryOn that are neither a known condition nor a status code (for config validation). */
export function unknownRetryConditions(retryOn: readonly string[]): string[] {
  return retryOn.filter((raw) => {
    const name = raw.trim();
    return !Object.hasOwn(RETRY_ON_CONDITIONS, name) && !/^[1-5][0-9][0-9]$/.test(name);
  });
}

/**
 * Whether `outcome` is one the policy retries. Says nothing about attempts left, the budget,
 * the breaker, or whether the request body can be replayed: the caller checks those.
 */
export function isRetriable(policy: RetryPolicy, outcome: TryOutcome): boolean {
  const { mask, codes } = compileRetryOn(policy);
  if (mask === 0) return false;
  switch (outcome.kind) {
    case 'connect-failure':
      return (mask & (ON_5XX | ON_GATEWAY | ON_RESET | ON_CONNECT_FAILURE)) !== 0;
    case 'refused-stream':
      return (mask & (ON_5XX | ON_GATEWAY | ON_RESET | ON_REFUSED_STREAM)) !== 0;
    case 'reset':
    case 'timeout':
      return (mask & (ON_5XX | ON_GATEWAY | ON_RESET)) !== 0;
    case 'response': {
      const s = outcome.status;
      if (mask & ON_5XX && s >= 500 && s <= 599) return true;
      if (mask & ON_GATEWAY && (s === 502 || s === 503 || s === 504)) return true;
      if (mask & ON_STATUS_CODES && codes.has(s)) return true;
      const g = outcome.grpcStatus;
      if (g === undefined) return false;
      return (
        (g === 1 && (mask & ON_GRPC_CANCELLED) !== 0) ||
        (g === 4 && (mask & ON_GRPC_DEADLINE) !== 0) ||
        (g === 13 && (mask & ON_GRPC_INTERNAL) !== 0) ||
        (g === 8 && (mask & ON_GRPC_EXHAUSTED) !== 0) ||
        (g === 14 && (mask & ON_GRPC_UNAVAILABLE) !== 0)
      );
    }
  }
}

/**
 * How long to wait before retry number `attempt` (1 = the first retry): exponential backoff with
 * full jitter, as Envoy does. The wait is uniform in [0, min((2^attempt − 1) × base, max)), so
 * with the defaults (base 25 ms, max 10 × base = 250 ms) the first retry waits 0–25 ms, the second
 * 0–75 ms, the third 0–175 ms, then 0–250 ms. Full jitter (rather than a fixed exponential
 * delay) spreads the retries of many clients that failed together, instead of having them all
 * come back at the same instant.
 */
export function backoffMs(
  attempt: number,
  baseMs: number = DEFAULT_BACKOFF_BASE_MS,
  maxMs: number = 10 * baseMs,
  rand: Random = Math.random,
): number {
  if (baseMs <= 0 || maxMs <= 0) return 0;
  const n = Math.max(1, Math.floor(attempt));
  // 2^n overflows to Infinity for huge n, and min() then takes maxMs: no special case needed.
  const ceiling = Math.min((2 ** n - 1) * baseMs, maxMs);
  return Math.floor(rand() * ceiling);
}
