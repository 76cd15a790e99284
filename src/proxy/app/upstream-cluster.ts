// What the request path needs from a cluster: endpoint choice, breakers, outlier feedback,
// retry budget, connections. Built once per snapshot by `cluster-set.ts`; this file is only the
// shape, so the request path reads without the details of each mechanism.
import type { ClusterMtls, HashPolicy } from '../../model/snapshot.js';
import type { ClusterMetrics } from '../telemetry/proxy-metrics.js';
import type { EndpointState, TryOutcome } from '../upstream/types.js';
import type { Http1Pool } from '../upstream/pool/http1-pool.js';
import type { Http2Pool } from '../upstream/pool/http2-pool.js';

export interface UpstreamCluster {
  readonly name: string;
  readonly protocol: 'http1' | 'http2' | 'tcp';
  readonly http1: Http1Pool;
  readonly http2: Http2Pool;
  readonly hashPolicy: HashPolicy | undefined;
  readonly metrics: ClusterMetrics;
  /** Mesh mTLS to the endpoints (the pools use it; opaque TCP passed through reads it too). */
  readonly mtls: ClusterMtls | undefined;

  /**
   * An available endpoint of the cluster (or of a subset); undefined when none is. `avoid`: the
   * endpoint that just failed, skipped for a retry unless it is the only one left.
   */
  pick(subset: string | undefined, hashKey: string | undefined, avoid?: EndpointState): EndpointState | undefined;
  /** Why `pick` found nothing, in words: "2 endpoints, 2 ejected by outlier detection". */
  describeUnavailable(subset: string | undefined): string;

  /** Breakers: false when the limit is reached (the caller answers 503). */
  acquireRequest(): boolean;
  releaseRequest(): void;
  acquireRetry(): boolean;
  releaseRetry(): void;
  readonly limits: { maxRequests: number; maxRetries: number };

  /** Retry budget: every original request deposits; every retry must withdraw. */
  depositRequest(): void;
  withdrawRetry(): boolean;

  /** Feeds outlier detection with how a try ended. */
  record(endpoint: EndpointState, outcome: TryOutcome): void;
}
