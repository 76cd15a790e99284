// ClusterRuntime: one cluster of the snapshot as the request path uses it: its EndpointStates,
// a balancer for the whole cluster and one per named subset, the circuit breaker, the outlier
// detector and the retry budget. Built once per snapshot; nothing here parses configuration
// per request.
//
// Surviving a snapshot swap: when the control plane sends a new snapshot, in-flight requests
// still hold the endpoint they picked and the breaker they acquired from. So the new runtime
// takes over the previous one's state rather than copying it:
// - EndpointStates are reused by key ("address:port"): the same objects, updated from the new
//   snapshot (endpoint, weight, healthy), so `active` counts, ejections and multipliers carry
//   over and an in-flight request's decrement lands on the object the new balancers read.
// - The breaker, outlier detector (with its timer) and retry budget are the same objects,
//   reconfigured; releases and results from old requests land where they belong.
// The previous runtime is then superseded: its balancers keep working for whoever still holds
// them, and its dispose() does nothing (it no longer owns the timer).
import type { Cluster } from '../../model/snapshot.js';
import { createBalancer } from './balancers/index.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { endpointKey, newEndpointState } from './endpoint-state.js';
import { OutlierDetector, type OutlierEvent } from './outlier-detection.js';
import { RetryBudget } from './retry-budget.js';
import type { Balancer, Clock, EndpointState, Random } from './types.js';

/** One endpoint as the admin `/clusters` page shows it. */
export interface EndpointStatus {
  key: string;
  address: string;
  port: number;
  weight: number;
  /** As the snapshot says. */
  healthy: boolean;
  /** Out by outlier detection right now. */
  ejected: boolean;
  /** When the ejection ends (ms since epoch), 0 when not ejected. */
  ejectedUntil: number;
  /** Current ejection multiplier (see EndpointState.ejections). */
  ejections: number;
  /** Ejections since the endpoint joined the cluster. */
  ejectionsTotal: number;
  /** Requests in flight. */
  active: number;
  locality?: string;
  labels?: Record<string, string>;
}

export interface ClusterRuntimeOptions {
  /** Default Math.random (balancers). */
  random?: Random;
  /** Run the outlier detector's sweep on a timer. Default true. */
  outlierTimer?: boolean;
  /** Logs of ejections and readmissions. */
  onOutlierEvent?: (event: OutlierEvent) => void;
}

export class ClusterRuntime {
  readonly name: string;
  readonly endpoints: readonly EndpointState[];
  /** The balancer over all endpoints. */
  readonly balancer: Balancer;
  private readonly subsets: ReadonlyMap<string, Balancer>;
  private readonly byKey: ReadonlyMap<string, EndpointState>;
  private superseded = false;

  constructor(
    readonly cluster: Cluster,
    endpoints: readonly EndpointState[],
    readonly breaker: CircuitBreaker,
    readonly outlier: OutlierDetector,
    readonly retryBudget: RetryBudget,
    private readonly clock: Clock,
    random: Random,
  ) {
    this.name = cluster.name;
    this.endpoints = endpoints;
    this.byKey = new Map(endpoints.map((e) => [e.key, e]));
    const opts = { clock, random };
    this.balancer = createBalancer(cluster.loadBalancer, endpoints.slice(), opts);
    const subsets = new Map<string, Balancer>();
    for (const s of cluster.subsets ?? []) {
      const members = endpoints.filter((e) => hasLabels(e.endpoint.labels, s.labels));
      subsets.set(s.name, createBalancer(cluster.loadBalancer, members, opts));
    }
    this.subsets = subsets;
  }

  /**
   * The balancer for a named subset, or the whole cluster's when `subset` is undefined.
   * undefined for a subset the cluster does not define (the caller answers "no such subset");
   * a defined subset with no matching endpoints gets a balancer that picks nothing.
   */
  balancerFor(subset?: string): Balancer | undefined {
    return subset === undefined ? this.balancer : this.subsets.get(subset);
  }

  /** The names of the cluster's subsets. */
  subsetNames(): string[] {
    return [...this.subsets.keys()];
  }

  endpoint(key: string): EndpointState | undefined {
    return this.byKey.get(key);
  }

  /** Per-endpoint state for the admin `/clusters` page. */
  status(): EndpointStatus[] {
    const now = this.clock();
    return this.endpoints.map((e) => ({
      key: e.key,
      address: e.endpoint.address,
      port: e.endpoint.port,
      weight: e.weight,
      healthy: e.healthy,
      ejected: e.ejectedUntil > now,
      ejectedUntil: e.ejectedUntil > now ? e.ejectedUntil : 0,
      ejections: e.ejections,
      ejectionsTotal: this.outlier.totalEjections(e),
      active: e.active,
      ...(e.endpoint.locality !== undefined ? { locality: e.endpoint.locality } : {}),
      ...(e.endpoint.labels !== undefined ? { labels: { ...e.endpoint.labels } } : {}),
    }));
  }

  /** Hands the shared state to a successor built from this runtime (see the file comment). */
  markSuperseded(): void {
    this.superseded = true;
  }

  get isSuperseded(): boolean {
    return this.superseded;
  }

  /** Stops the outlier detector's timer, unless a newer runtime took it over. */
  dispose(): void {
    if (!this.superseded) this.outlier.dispose();
  }
}

/**
 * The runtime for `cluster`, taking over `previous` (the same cluster in the last snapshot) when
 * given. Building twice from the same `previous` is a bug and throws.
 */
export function buildClusterRuntime(
  cluster: Cluster,
  previous?: ClusterRuntime,
  clock: Clock = Date.now,
  options: ClusterRuntimeOptions = {},
): ClusterRuntime {
  if (previous?.isSuperseded) {
    // Two runtimes taking over one would share EndpointStates but not the detector or breaker.
    throw new Error(`cluster ${cluster.name}: the previous runtime was already replaced; build from the newest one`);
  }
  const random = options.random ?? Math.random;
  const endpoints: EndpointState[] = [];
  const seen = new Set<string>();
  for (const ep of cluster.endpoints) {
    const key = endpointKey(ep);
    // A snapshot listing one address:port twice names one endpoint; the first entry wins.
    if (seen.has(key)) continue;
    seen.add(key);
    const old = previous?.endpoint(key);
    if (old !== undefined) {
      old.endpoint = ep;
      old.weight = ep.weight ?? 1;
      old.healthy = ep.healthy ?? true;
      endpoints.push(old);
    } else {
      endpoints.push(newEndpointState(ep));
    }
  }

  let breaker: CircuitBreaker;
  let outlier: OutlierDetector;
  let budget: RetryBudget;
  if (previous !== undefined) {
    breaker = previous.breaker;
    breaker.setLimits(cluster.connectionPool);
    outlier = previous.outlier;
    outlier.update(cluster.outlierDetection, endpoints);
    budget = previous.retryBudget;
    budget.configure(cluster.retryBudget);
    previous.markSuperseded();
  } else {
    breaker = new CircuitBreaker(cluster.connectionPool);
    outlier = new OutlierDetector(cluster.outlierDetection, endpoints, {
      clock,
      timer: options.outlierTimer ?? true,
      onEvent: options.onOutlierEvent,
    });
    budget = new RetryBudget(cluster.retryBudget, clock);
  }
  return new ClusterRuntime(cluster, endpoints, breaker, outlier, budget, clock, random);
}

/** True when `labels` has every key/value of `selector` (an empty selector matches all). */
function hasLabels(labels: Record<string, string> | undefined, selector: Record<string, string>): boolean {
  for (const k of Object.keys(selector)) {
    if (labels === undefined || !Object.hasOwn(labels, k) || labels[k] !== selector[k]) return false;
  }
  return true;
}
