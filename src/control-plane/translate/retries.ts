// Retry policies, with Istio's semantics (pilot/pkg/networking/core/route/retry):
// - no `retries` on a route: Istio's default policy, which Istio applies to every outbound route,
//   VirtualService-made or default: 2 retries on connect-failure, refused-stream, the gRPC
//   statuses unavailable and cancelled, and HTTP 503 (retriable-status-codes with [503]);
// - `retries` with attempts 0 (or none written): no retries at all;
// - otherwise attempts as written; retryOn replaces the default conditions when given, bare
//   status codes in it become retriable codes (and turn retriable-status-codes on); perTryTimeout
//   and backoff as written (Envoy's backoff cap: 10 × the base).
import type { VirtualServiceHttpRoute } from '../../api/virtual-service.js';
import type { RetryPolicy } from '../../model/snapshot.js';
import { ms } from './policies.js';
import { isRetryCondition } from './proxy-rules.js';

type HttpRetry = NonNullable<VirtualServiceHttpRoute['retries']>;

/** The snapshot's schema caps attempts here. */
const MAX_ATTEMPTS = 50;

const DEFAULT_RETRY_ON: readonly string[] = Object.freeze(['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes']);
const DEFAULT_CODES: readonly number[] = Object.freeze([503]);
// One frozen object shared by every default route of every snapshot: it is the same policy, and
// a mesh has thousands of default routes (the proxy also compiles a policy once per object).
const DEFAULT_RETRY: RetryPolicy = Object.freeze({ attempts: 2, retryOn: DEFAULT_RETRY_ON as string[], retriableStatusCodes: DEFAULT_CODES as number[] });

export function defaultRetry(perTryTimeoutMs?: number): RetryPolicy {
  if (perTryTimeoutMs === undefined || perTryTimeoutMs <= 0) return DEFAULT_RETRY;
  return { attempts: 2, perTryTimeoutMs, retryOn: [...DEFAULT_RETRY_ON], retriableStatusCodes: [...DEFAULT_CODES] };
}

/** @param report called with a field under `retries` and what was done about it */
export function retryPolicy(retries: HttpRetry | undefined, report: (field: string, message: string) => void): RetryPolicy | undefined {
  if (retries === undefined) return defaultRetry();
  if (retries.attempts === undefined || retries.attempts <= 0) return undefined;
  let attempts = retries.attempts;
  if (attempts > MAX_ATTEMPTS) {
    report('attempts', `${attempts} is more than the proxy allows; ${MAX_ATTEMPTS} is used`);
    attempts = MAX_ATTEMPTS;
  }
  let retryOn = [...DEFAULT_RETRY_ON];
  let retriableStatusCodes: number[] | undefined = [...DEFAULT_CODES];
  if (retries.retryOn !== undefined && retries.retryOn.trim() !== '') {
    retryOn = [];
    const codes: number[] = [];
    for (const raw of retries.retryOn.split(',')) {
      const part = raw.trim();
      if (part === '') continue;
      if (/^[1-5][0-9][0-9]$/.test(part)) codes.push(Number(part));
      else if (isRetryCondition(part)) retryOn.push(part);
      else report('retryOn', `condition "${part}" is not supported by the proxy; ignored`);
    }
    if (codes.length > 0 && !retryOn.includes('retriable-status-codes')) retryOn.push('retriable-status-codes');
    retriableStatusCodes = codes.length > 0 ? codes : undefined;
  }
  const perTryTimeoutMs = retries.perTryTimeout !== undefined ? ms(retries.perTryTimeout) : 0;
  const baseMs = retries.backoff !== undefined ? ms(retries.backoff) : 0;
  const policy: RetryPolicy = {
    attempts,
    ...(perTryTimeoutMs > 0 ? { perTryTimeoutMs } : {}),
    retryOn,
    ...(retriableStatusCodes !== undefined ? { retriableStatusCodes } : {}),
    ...(baseMs > 0 ? { backoff: { baseMs, maxMs: baseMs * 10 } } : {}),
  };
  if (retries.retryRemoteLocalities === true) report('retryRemoteLocalities', 'locality-aware retries are not supported yet; ignored');
  if (retries.retryIgnorePreviousHosts === false) report('retryIgnorePreviousHosts', 'the proxy always prefers another endpoint for a retry; ignored');
  return policy;
}
