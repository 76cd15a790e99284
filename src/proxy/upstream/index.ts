// The upstream room's public surface, for the connection pool, the HTTP codec and the admin page.
export type { Balancer, Clock, EndpointState, PickContext, Random, TryOutcome } from './types.js';
export { createBalancer, type BalancerOptions } from './balancers/index.js';
export { endpointKey, isAvailable, newEndpointState } from './endpoint-state.js';
export { hashKeyFor, compileHashKey, type HashKeyRequest } from './hash-key.js';
export {
  BREAKER_KINDS,
  CircuitBreaker,
  DEFAULT_BREAKER_LIMIT,
  breakerLimits,
  type BreakerCounts,
  type BreakerKind,
} from './circuit-breaker.js';
export {
  OUTLIER_DEFAULTS,
  OutlierDetector,
  outlierSettings,
  type EjectionReason,
  type OutlierDetectorOptions,
  type OutlierEvent,
  type OutlierSettings,
  type OutlierStats,
} from './outlier-detection.js';
export { grpcToHttpStatus, outcomeHttpStatus } from './outcome.js';
export {
  DEFAULT_BACKOFF_BASE_MS,
  RETRY_ON_CONDITIONS,
  backoffMs,
  compileRetryOn,
  isRetriable,
  unknownRetryConditions,
} from './retry.js';
export { DEFAULT_RETRY_BUDGET, RetryBudget } from './retry-budget.js';
export {
  ClusterRuntime,
  buildClusterRuntime,
  type ClusterRuntimeOptions,
  type EndpointStatus,
} from './cluster-runtime.js';
