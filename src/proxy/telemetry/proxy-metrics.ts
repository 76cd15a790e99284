// maille's own proxy metrics (the Istio-standard names come with the telemetry issue).
//
// The request path never touches a family: when a snapshot is applied, the proxy asks for a
// handle per route/cluster pair, per cluster and per listener, and keeps it beside the compiled
// route or cluster. A handle holds resolved children, so a request costs a few field updates.
// Asking again for the same name returns the same handle, so counts carry across snapshots;
// `retain` drops the series of routes, clusters and listeners a new snapshot no longer has.
import {
  Registry,
  type Counter,
  type CounterChild,
  type GaugeChild,
  type Histogram,
  type HistogramChild,
} from './metrics.js';

/** Which circuit breaker answered 503 (one per ConnectionPool limit). */
export type BreakerKind = 'connections' | 'pending' | 'requests' | 'retries';

export interface RouteMetrics {
  /** One finished request: final status (0 when no response was sent) and total duration. */
  request(status: number, durationMs: number): void;
}

export interface ClusterMetrics {
  retry(): void;
  breakerTrip(kind: BreakerKind): void;
  ejection(): void;
  connOpened(): void;
  connClosed(): void;
}

export interface ListenerMetrics {
  opened(): void;
  closed(): void;
}

/** Names still in the snapshot; a kind left out is not touched. */
export interface LiveNames {
  routes?: Iterable<readonly [route: string, cluster: string]>;
  clusters?: Iterable<string>;
  listeners?: Iterable<string>;
}

type RequestsFamily = Counter<readonly ['route', 'cluster', 'code']>;
type DurationFamily = Histogram<readonly ['route', 'cluster']>;

class RouteHandle implements RouteMetrics {
  // Status codes seen so far and their counters, in parallel arrays. A route sees a handful of
  // codes and mostly one (200 first), so a linear scan usually stops at index 0; this is smaller
  // than a 600-slot table per route and needs no string building or Map lookup per request.
  private readonly codes: number[] = [];
  private readonly counters: CounterChild[] = [];
  private readonly duration: HistogramChild;
  private detached = false;

  constructor(
    private readonly requests: RequestsFamily,
    private readonly durations: DurationFamily,
    private readonly route: string,
    private readonly cluster: string,
  ) {
    this.duration = durations.labels(route, cluster);
  }

  request(status: number, durationMs: number): void {
    const codes = this.codes;
    for (let i = 0; i < codes.length; i++) {
      if (codes[i] === status) {
        this.counters[i].inc();
        this.duration.observe(durationMs);
        return;
      }
    }
    this.firstOfCode(status).inc();
    this.duration.observe(durationMs);
  }

  detach(): void {
    this.detached = true;
    for (const c of this.counters) this.requests.removeChild(c);
    this.durations.removeChild(this.duration);
  }

  private firstOfCode(status: number): CounterChild {
    // Anything that is not a 3-digit status would grow the label set without bound: count it as 0,
    // and do not remember it (a caller passing garbage must not grow this array either).
    const normal = Number.isInteger(status) && status >= 100 && status <= 999;
    const code = normal ? status : 0;
    if (!normal) {
      const i = this.codes.indexOf(0);
      if (i >= 0) return this.counters[i];
    }
    const values = [this.route, this.cluster, String(code)] as const;
    // A handle dropped by `retain` but still held by an in-flight request must not bring its
    // series back to life.
    const child = this.detached ? this.requests.detachedChild(...values) : this.requests.labels(...values);
    this.codes.push(code);
    this.counters.push(child);
    return child;
  }
}

class ClusterHandle implements ClusterMetrics {
  constructor(
    private readonly retries: CounterChild,
    private readonly trips: Readonly<Record<BreakerKind, CounterChild>>,
    private readonly ejections: CounterChild,
    private readonly active: GaugeChild,
  ) {}
  retry(): void {
    this.retries.inc();
  }
  breakerTrip(kind: BreakerKind): void {
    // Under overload every rejected request trips, so this is a hot path too: a switch, not a lookup.
    switch (kind) {
      case 'connections':
        this.trips.connections.inc();
        break;
      case 'pending':
        this.trips.pending.inc();
        break;
      case 'requests':
        this.trips.requests.inc();
        break;
      case 'retries':
        this.trips.retries.inc();
        break;
    }
  }
  ejection(): void {
    this.ejections.inc();
  }
  connOpened(): void {
    this.active.inc();
  }
  connClosed(): void {
    this.active.dec();
  }
}

class ListenerHandle implements ListenerMetrics {
  constructor(private readonly active: GaugeChild) {}
  opened(): void {
    this.active.inc();
  }
  closed(): void {
    this.active.dec();
  }
}

const BREAKER_KINDS: readonly BreakerKind[] = ['connections', 'pending', 'requests', 'retries'];

export class ProxyMetrics {
  /** Shared with other telemetry (tracing, Istio metrics) so one scrape renders everything. */
  readonly registry: Registry;

  private readonly requests;
  private readonly duration;
  private readonly upstreamActive;
  private readonly downstreamActive;
  private readonly retries;
  private readonly trips;
  private readonly ejections;
  private readonly errors;

  private readonly routes = new Map<string, Map<string, RouteHandle>>();
  private readonly clusters = new Map<string, ClusterHandle>();
  private readonly listeners = new Map<string, ListenerHandle>();
  private readonly errorChildren = new Map<string, CounterChild>();

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const r = registry;
    this.requests = r.counter({
      name: 'maille_requests_total',
      help: 'Requests completed by the proxy, by route, cluster and final status code (0: no response sent).',
      labelNames: ['route', 'cluster', 'code'],
    });
    this.duration = r.histogram({
      name: 'maille_request_duration_ms',
      help: 'Request duration in milliseconds, from request received to response finished.',
      labelNames: ['route', 'cluster'],
    });
    this.upstreamActive = r.gauge({
      name: 'maille_upstream_active_connections',
      help: 'Open connections to upstream endpoints.',
      labelNames: ['cluster'],
    });
    this.downstreamActive = r.gauge({
      name: 'maille_downstream_active_connections',
      help: 'Open client connections on a listener.',
      labelNames: ['listener'],
    });
    this.retries = r.counter({ name: 'maille_retries_total', help: 'Retries sent to a cluster.', labelNames: ['cluster'] });
    this.trips = r.counter({
      name: 'maille_breaker_trips_total',
      help: 'Requests answered 503 at once because a circuit breaker limit was reached, by limit kind.',
      labelNames: ['cluster', 'kind'],
    });
    this.ejections = r.counter({
      name: 'maille_outlier_ejections_total',
      help: 'Endpoints ejected by outlier detection.',
      labelNames: ['cluster'],
    });
    this.errors = r.counter({
      name: 'maille_proxy_errors_total',
      help: 'Responses the proxy made itself, by stable error code.',
      labelNames: ['code'],
    });
    r.gauge({ name: 'process_resident_memory_bytes', help: 'Resident set size in bytes.' })
      .labels()
      .setFunction(() => process.memoryUsage.rss());
    r.gauge({ name: 'nodejs_heap_used_bytes', help: 'V8 heap in use, in bytes.' })
      .labels()
      .setFunction(() => process.memoryUsage().heapUsed);
  }

  forRoute(route: string, cluster: string): RouteMetrics {
    let byCluster = this.routes.get(route);
    if (byCluster === undefined) {
      byCluster = new Map();
      this.routes.set(route, byCluster);
    }
    let h = byCluster.get(cluster);
    if (h === undefined) {
      h = new RouteHandle(this.requests, this.duration, route, cluster);
      byCluster.set(cluster, h);
    }
    return h;
  }

  forCluster(cluster: string): ClusterMetrics {
    let h = this.clusters.get(cluster);
    if (h === undefined) {
      // Breaker series exist from the start at 0, so rate() works from the first trip.
      const trips = {} as Record<BreakerKind, CounterChild>;
      for (const k of BREAKER_KINDS) trips[k] = this.trips.labels(cluster, k);
      h = new ClusterHandle(
        this.retries.labels(cluster),
        trips,
        this.ejections.labels(cluster),
        this.upstreamActive.labels(cluster),
      );
      this.clusters.set(cluster, h);
    }
    return h;
  }

  forListener(name: string): ListenerMetrics {
    let h = this.listeners.get(name);
    if (h === undefined) {
      h = new ListenerHandle(this.downstreamActive.labels(name));
      this.listeners.set(name, h);
    }
    return h;
  }

  /** A response the proxy made itself; `code` is a stable MAILLE_ERR_* code (a small, fixed set). */
  proxyError(code: string): void {
    let c = this.errorChildren.get(code);
    if (c === undefined) {
      c = this.errors.labels(code);
      this.errorChildren.set(code, c);
    }
    c.inc();
  }

  /**
   * Drops the series of everything not named in `live`. Handles already given out keep
   * counting into detached children (never rendered), so in-flight requests stay safe.
   */
  retain(live: LiveNames): void {
    if (live.routes !== undefined) {
      const keep = new Map<string, Set<string>>();
      for (const [route, cluster] of live.routes) {
        let s = keep.get(route);
        if (s === undefined) keep.set(route, (s = new Set()));
        s.add(cluster);
      }
      for (const [route, byCluster] of this.routes) {
        const clusters = keep.get(route);
        for (const [cluster, h] of byCluster) {
          if (clusters?.has(cluster)) continue;
          h.detach();
          byCluster.delete(cluster);
        }
        if (byCluster.size === 0) this.routes.delete(route);
      }
    }
    if (live.clusters !== undefined) {
      const keep = new Set(live.clusters);
      for (const cluster of this.clusters.keys()) {
        if (keep.has(cluster)) continue;
        this.retries.remove(cluster);
        for (const k of BREAKER_KINDS) this.trips.remove(cluster, k);
        this.ejections.remove(cluster);
        this.upstreamActive.remove(cluster);
        this.clusters.delete(cluster);
      }
    }
    if (live.listeners !== undefined) {
      const keep = new Set(live.listeners);
      for (const name of this.listeners.keys()) {
        if (keep.has(name)) continue;
        this.downstreamActive.remove(name);
        this.listeners.delete(name);
      }
    }
  }

  render(): string {
    return this.registry.render();
  }
}
