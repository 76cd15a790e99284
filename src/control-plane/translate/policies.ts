// DestinationRule traffic policies → cluster settings (balancer, circuit breakers, outlier
// detection, retry budget), and the client TLS settings that mesh-tls.ts turns into the cluster's mTLS.
//
// Which policy applies to a cluster follows Istio's MergeTrafficPolicy: the rule's top-level
// fields, replaced by its portLevelSettings for the cluster's port (a port entry replaces all of
// loadBalancer, connectionPool, outlierDetection and tls, even those it leaves out: "port-level
// settings do not inherit"), then for a subset cluster each field the subset sets, then the
// subset's own portLevelSettings the same way.
//
// Istio's zero values mean "not set" for the breaker limits (0 maxConnections is not "no
// connections"), so zeros are left out and the proxy's defaults apply.
import type { TrafficPolicy } from '../../api/destination-rule.js';
import { parseDuration } from '../../api/duration.js';
import type { Cluster, ConnectionPool, LoadBalancer, OutlierDetection, RetryBudget } from '../../model/snapshot.js';
import type { DestinationRule } from '../../api/destination-rule.js';
import type { PolicySource } from './destination-rules.js';
import { isHeaderName } from './proxy-rules.js';
import type { Warnings } from './warnings.js';

type LoadBalancerSettings = NonNullable<TrafficPolicy['loadBalancer']>;
type ConnectionPoolSettings = NonNullable<TrafficPolicy['connectionPool']>;
type OutlierSettings = NonNullable<TrafficPolicy['outlierDetection']>;
type ClientTlsSettings = NonNullable<TrafficPolicy['tls']>;
type RetryBudgetSettings = NonNullable<TrafficPolicy['retryBudget']>;

export type ClusterSettings = Pick<Cluster, 'loadBalancer' | 'connectionPool' | 'outlierDetection' | 'retryBudget'>;

/** The `tls` of the traffic policy that applies to a cluster, and where it was written. */
export type ClientTls = Sourced<ClientTlsSettings>;

/** A field's value and where it was written. */
interface Sourced<T> {
  readonly value: T;
  readonly rule: DestinationRule;
  readonly path: string;
}

interface Merged {
  loadBalancer?: Sourced<LoadBalancerSettings>;
  connectionPool?: Sourced<ConnectionPoolSettings>;
  outlierDetection?: Sourced<OutlierSettings>;
  tls?: Sourced<ClientTlsSettings>;
  retryBudget?: Sourced<RetryBudgetSettings>;
}

const PORT_FIELDS = ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'] as const;

export function clusterSettings(
  top: PolicySource | undefined,
  subset: PolicySource | undefined,
  port: number,
  warnings: Warnings,
): { settings: ClusterSettings; tls: ClientTls | undefined } {
  const warn: Warn = (s, field, message) => warnings.at(s.rule, field === '' ? s.path : `${s.path}.${field}`, message);
  const merged: Merged = {};
  for (const source of [top, subset]) {
    if (source === undefined) continue;
    const { policy, rule, path } = source;
    for (const f of [...PORT_FIELDS, 'retryBudget'] as const) {
      if (policy[f] !== undefined) (merged as Record<string, Sourced<unknown>>)[f] = { value: policy[f], rule, path: `${path}.${f}` };
    }
    unsupportedPolicyFields({ value: policy, rule, path }, warn);
    const i = (policy.portLevelSettings ?? []).findIndex((p) => p.port?.number === port);
    if (i !== -1) {
      const pls = (policy.portLevelSettings ?? [])[i];
      for (const f of PORT_FIELDS) {
        if (pls[f] === undefined) delete merged[f];
        else (merged as Record<string, Sourced<unknown>>)[f] = { value: pls[f], rule, path: `${path}.portLevelSettings[${i}].${f}` };
      }
    }
  }
  if (merged.tls) clientTls(merged.tls, warn);
  const settings = clean({
    loadBalancer: merged.loadBalancer && loadBalancer(merged.loadBalancer, warn),
    connectionPool: merged.connectionPool && connectionPool(merged.connectionPool, warn),
    outlierDetection: merged.outlierDetection && outlierDetection(merged.outlierDetection, warn),
    retryBudget: merged.retryBudget && retryBudget(merged.retryBudget.value),
  });
  return { settings, tls: merged.tls };
}

type Warn = (s: Sourced<unknown>, field: string, message: string) => void;

function loadBalancer(s: Sourced<LoadBalancerSettings>, warn: Warn): LoadBalancer | undefined {
  const lb = s.value;
  if (lb.localityLbSetting !== undefined && lb.localityLbSetting.enabled !== false) {
    warn(s, 'localityLbSetting', 'locality-aware balancing is not supported yet; endpoints are balanced regardless of locality');
  }
  if (lb.warmup !== undefined || lb.warmupDurationSecs !== undefined) {
    warn(s, lb.warmup !== undefined ? 'warmup' : 'warmupDurationSecs', 'slow start (warmup) is not supported yet; new endpoints get their full share at once');
  }
  const hash = lb.consistentHash;
  if (hash !== undefined) {
    if (hash.httpHeaderName !== undefined) {
      if (isHeaderName(hash.httpHeaderName)) return { policy: 'consistent_hash', hash: { header: hash.httpHeaderName.toLowerCase() } };
      warn(s, 'consistentHash.httpHeaderName', `${JSON.stringify(hash.httpHeaderName)} is not a header name; the default balancer is used`);
      return undefined;
    }
    if (hash.httpCookie !== undefined) {
      if (hash.httpCookie.ttl !== undefined) {
        warn(s, 'consistentHash.httpCookie.ttl', 'the proxy does not generate the cookie; requests without it are balanced without affinity');
      }
      return { policy: 'consistent_hash', hash: { cookie: hash.httpCookie.name } };
    }
    if (hash.useSourceIp === true) return { policy: 'consistent_hash', hash: { sourceIp: true } };
    if (hash.httpQueryParameterName !== undefined && hash.httpQueryParameterName !== '') {
      return { policy: 'consistent_hash', hash: { queryParameter: hash.httpQueryParameterName } };
    }
    warn(s, 'consistentHash', 'names no hash key; the default balancer is used');
    return undefined;
  }
  switch (lb.simple) {
    case 'ROUND_ROBIN':
      return { policy: 'round_robin' };
    case 'LEAST_REQUEST':
    case 'LEAST_CONN': // Istio's deprecated name for the same Envoy policy
      return { policy: 'least_request' };
    case 'RANDOM':
      return { policy: 'random' };
    case 'PASSTHROUGH':
      warn(s, 'simple', 'PASSTHROUGH (original destination) is not supported; the default balancer is used');
      return undefined;
    default:
      return undefined;
  }
}

function connectionPool(s: Sourced<ConnectionPoolSettings>, warn: Warn): ConnectionPool | undefined {
  const { tcp, http } = s.value;
  if (tcp?.tcpKeepalive !== undefined) warn(s, 'tcp.tcpKeepalive', 'TCP keepalive settings are not supported yet; ignored');
  if (tcp?.maxConnectionDuration !== undefined) warn(s, 'tcp.maxConnectionDuration', 'not supported yet; ignored');
  if (http?.h2UpgradePolicy === 'UPGRADE') warn(s, 'http.h2UpgradePolicy', 'UPGRADE is not supported; the port protocol decides HTTP/1 or HTTP/2');
  if (http?.useClientProtocol === true) warn(s, 'http.useClientProtocol', 'not supported; the port protocol decides HTTP/1 or HTTP/2');
  if (http?.maxConcurrentStreams !== undefined) warn(s, 'http.maxConcurrentStreams', 'not supported yet; ignored');
  const idle = http?.idleTimeout ?? tcp?.idleTimeout;
  const pool = clean({
    maxConnections: positive(tcp?.maxConnections),
    maxPendingRequests: positive(http?.http1MaxPendingRequests),
    maxRequests: positive(http?.http2MaxRequests),
    maxRetries: positive(http?.maxRetries),
    // 0 here is meaningful in both APIs: unlimited.
    maxRequestsPerConnection: http?.maxRequestsPerConnection,
    connectTimeoutMs: tcp?.connectTimeout !== undefined ? ms(tcp.connectTimeout) : undefined,
    idleTimeoutMs: idle !== undefined ? ms(idle) : undefined,
  });
  return Object.keys(pool).length > 0 ? pool : undefined;
}

function outlierDetection(s: Sourced<OutlierSettings>, warn: Warn): OutlierDetection | undefined {
  const od = s.value;
  if (od.minHealthPercent !== undefined && od.minHealthPercent > 0) warn(s, 'minHealthPercent', 'not supported yet; ejection is not suspended when few hosts are healthy');
  if (od.consecutiveLocalOriginFailures !== undefined || od.splitExternalLocalOriginErrors !== undefined) {
    warn(s, od.consecutiveLocalOriginFailures !== undefined ? 'consecutiveLocalOriginFailures' : 'splitExternalLocalOriginErrors', 'local-origin errors are not counted apart yet; connection failures count as 503');
  }
  // Istio's deprecated consecutiveErrors counts gateway errors only (502/503/504) and turns the
  // 5xx counter off; an explicit consecutive5xxErrors / consecutiveGatewayErrors wins.
  const legacy = od.consecutiveErrors !== undefined && od.consecutiveErrors > 0 ? od.consecutiveErrors : undefined;
  const out = clean({
    consecutive5xx: od.consecutive5xxErrors ?? (legacy !== undefined ? 0 : undefined),
    consecutiveGatewayErrors: od.consecutiveGatewayErrors ?? legacy,
    intervalMs: od.interval !== undefined ? ms(od.interval) : undefined,
    baseEjectionTimeMs: od.baseEjectionTime !== undefined ? ms(od.baseEjectionTime) : undefined,
    maxEjectionPercent: od.maxEjectionPercent,
  });
  // An empty block still turns outlier detection on with Istio's defaults, which the proxy applies.
  return out;
}

/**
 * Istio's (Envoy's) retry budget caps concurrent retries at `percent` of active requests, at
 * least `minRetryConcurrency`; the proxy's budget is Linkerd's: retries as a ratio of recent
 * requests plus a floor per second. The closest reading: the same ratio, the same floor.
 * Defaults are Envoy's (20 %, 3).
 */
function retryBudget(rb: RetryBudgetSettings): RetryBudget {
  return { retryRatio: (rb.percent ?? 20) / 100, minRetriesPerSecond: rb.minRetryConcurrency ?? 3 };
}

function clientTls(s: Sourced<ClientTlsSettings>, warn: Warn): void {
  const mode = s.value.mode;
  // ISTIO_MUTUAL and DISABLE (Istio's default mode when tls is written) are mesh mTLS: mesh-tls.ts.
  if (mode === 'SIMPLE' || mode === 'MUTUAL') warn(s, 'mode', `TLS origination (${mode}) is not supported yet; requests are sent in plaintext`);
}

function unsupportedPolicyFields(s: Sourced<TrafficPolicy>, warn: Warn): void {
  if (s.value.tunnel !== undefined) warn(s, 'tunnel', 'tunneling is not supported; ignored');
  if (s.value.proxyProtocol !== undefined) warn(s, 'proxyProtocol', 'the PROXY protocol is not supported; ignored');
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? n : undefined;
}

/** Whole milliseconds (the snapshot's unit); a validated duration always parses. */
export function ms(duration: string): number {
  return Math.round(parseDuration(duration));
}

function clean<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
