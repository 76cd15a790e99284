// The proxy's clusters across snapshots. A new snapshot builds new cluster objects, but the state
// that must outlive a swap — endpoint health and ejections, breaker counts, the retry budget and
// open connections — is carried over by cluster name, so a config push never resets a breaker
// or drops a warm connection.
import type { Cluster } from '../../model/snapshot.js';
import { buildClusterRuntime, type ClusterRuntime, type EndpointStatus } from '../upstream/cluster-runtime.js';
import { Http1Pool, type PoolSettings } from '../upstream/pool/http1-pool.js';
import { Http2Pool } from '../upstream/pool/http2-pool.js';
import type { EndpointState, TryOutcome } from '../upstream/types.js';
import type { ClusterMetrics, ProxyMetrics } from '../telemetry/proxy-metrics.js';
import { createLogger } from '../telemetry/log.js';
import type { UpstreamCluster } from './upstream-cluster.js';
import type { MeshIdentity } from '../transport/mesh-identity.js';

const log = createLogger('cluster');

const POOL_DEFAULTS = { connectTimeoutMs: 10_000, idleTimeoutMs: 60_000 };

function poolSettings(c: Cluster, maxConnections: number, maxPending: number, identity: MeshIdentity | undefined): PoolSettings {
  const p = c.connectionPool ?? {};
  const mtls = c.mtls;
  const alpn = c.protocol === 'http2' ? ['h2'] : ['http/1.1'];
  return {
    tls: mtls && identity ? () => identity.clientOptions(mtls, alpn) : undefined,
    maxConnections,
    maxPendingRequests: maxPending,
    connectTimeoutMs: p.connectTimeoutMs ?? POOL_DEFAULTS.connectTimeoutMs,
    idleTimeoutMs: p.idleTimeoutMs ?? POOL_DEFAULTS.idleTimeoutMs,
    maxRequestsPerConnection: p.maxRequestsPerConnection ?? 0,
  };
}

/** One cluster as the request path sees it for one snapshot. */
class LiveCluster implements UpstreamCluster {
  readonly name: string;
  readonly protocol: 'http1' | 'http2' | 'tcp';
  readonly hashPolicy;
  readonly mtls;
  readonly limits: { maxRequests: number; maxRetries: number };

  constructor(
    readonly config: Cluster,
    readonly runtime: ClusterRuntime,
    readonly http1: Http1Pool,
    readonly http2: Http2Pool,
    readonly metrics: ClusterMetrics,
  ) {
    this.name = config.name;
    this.protocol = config.protocol ?? 'http1';
    this.hashPolicy = config.loadBalancer?.policy === 'consistent_hash' ? config.loadBalancer.hash : undefined;
    this.mtls = config.mtls;
    const l = runtime.breaker.limits;
    this.limits = { maxRequests: l.requests, maxRetries: l.retries };
  }

  pick(subset: string | undefined, hashKey: string | undefined, avoid?: EndpointState): EndpointState | undefined {
    return this.runtime.balancerFor(subset)?.pick({ hashKey, avoid });
  }

  describeUnavailable(subset: string | undefined): string {
    if (subset !== undefined && this.runtime.balancerFor(subset) === undefined) {
      return `subset ${subset} is not defined (subsets: ${this.runtime.subsetNames().join(', ') || 'none'})`;
    }
    const all = this.runtime.status();
    if (all.length === 0) return 'the cluster has no endpoints';
    const ejected = all.filter((e) => e.ejected).length;
    const unhealthy = all.filter((e) => !e.healthy).length;
    return `${all.length} endpoints, ${unhealthy} unhealthy, ${ejected} ejected by outlier detection`;
  }

  acquireRequest(): boolean {
    return this.runtime.breaker.tryAcquire('requests');
  }
  releaseRequest(): void {
    this.runtime.breaker.release('requests');
  }
  acquireRetry(): boolean {
    return this.runtime.breaker.tryAcquire('retries');
  }
  releaseRetry(): void {
    this.runtime.breaker.release('retries');
  }
  depositRequest(): void {
    this.runtime.retryBudget.deposit();
  }
  withdrawRetry(): boolean {
    return this.runtime.retryBudget.tryWithdraw();
  }
  record(endpoint: EndpointState, outcome: TryOutcome): void {
    this.runtime.outlier.onResult(endpoint, outcome);
  }
}

export interface ClusterStatus {
  name: string;
  protocol: string;
  endpoints: EndpointStatus[];
  breaker: { open: Record<string, number>; trips: Record<string, number> };
  connections: number;
}

export class ClusterSet {
  private current = new Map<string, LiveCluster>();

  constructor(
    private readonly metrics: ProxyMetrics,
    private readonly identity: MeshIdentity | undefined,
  ) {}

  /** Builds the clusters of a new snapshot, taking over state from the current ones. */
  apply(clusters: readonly Cluster[]): Map<string, UpstreamCluster> {
    const next = new Map<string, LiveCluster>();
    for (const c of clusters) {
      const prev = this.current.get(c.name);
      const metrics = this.metrics.forCluster(c.name);
      const runtime = buildClusterRuntime(c, prev?.runtime, Date.now, {
        onOutlierEvent: (e) => {
          if (e.action === 'eject') metrics.ejection();
          log.info(`outlier detection: ${e.action}`, { cluster: c.name, endpoint: e.host.key, reason: e.reason ?? '' });
        },
      });
      const b = runtime.breaker.limits;
      const settings = poolSettings(c, b.connections, b.pending, this.identity);
      const hooks = { connOpened: () => metrics.connOpened(), connClosed: () => metrics.connClosed() };
      const http1 = prev?.http1 ?? new Http1Pool(settings, hooks);
      const http2 = prev?.http2 ?? new Http2Pool(settings, hooks);
      if (prev) {
        http1.updateSettings(settings);
        http2.updateSettings(settings);
      }
      next.set(c.name, new LiveCluster(c, runtime, http1, http2, metrics));
    }
    this.current = next;
    return next;
  }

  /** Closes what the previous snapshot had and the new one dropped. */
  retire(previous: ReadonlyMap<string, UpstreamCluster>, next: ReadonlyMap<string, UpstreamCluster>): void {
    for (const [name, c] of previous) {
      const live = c as LiveCluster;
      if (!next.has(name)) {
        live.http1.close();
        live.http2.close();
      }
      live.runtime.dispose();
    }
  }

  status(): ClusterStatus[] {
    return [...this.current.values()].map((c) => ({
      name: c.name,
      protocol: c.protocol,
      endpoints: c.runtime.status(),
      breaker: { open: { ...c.runtime.breaker.open }, trips: { ...c.runtime.breaker.trips } },
      connections: c.http1.open,
    }));
  }

  close(): void {
    for (const c of this.current.values()) {
      c.http1.close();
      c.http2.close();
      c.runtime.dispose();
    }
    this.current.clear();
  }
}
