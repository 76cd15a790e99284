// The proxy's live state: one immutable-by-convention object per applied snapshot. Requests read
// `state()` once at their start and keep that object, so a snapshot swap never changes the rules
// under a request in flight; the swap itself is one assignment.
import type { Snapshot } from '../../model/snapshot.js';
import type { CompiledDestination, CompiledRoute, CompiledRouteTable } from '../router/types.js';
import type { HttpFilter } from '../filters/types.js';
import type { ProxyMetrics, RouteMetrics } from '../telemetry/proxy-metrics.js';
import type { UpstreamCluster } from './upstream-cluster.js';
import type { ListenerTlsContext } from '../transport/tls-contexts.js';
import type { MeshIdentity } from '../transport/mesh-identity.js';

export interface ProxyState {
  readonly version: string;
  readonly snapshot: Snapshot;
  readonly routeTables: ReadonlyMap<string, CompiledRouteTable>;
  readonly clusters: ReadonlyMap<string, UpstreamCluster>;
  readonly filters: readonly HttpFilter[];
  readonly metrics: ProxyMetrics;
  /** TLS server contexts by listener name (listeners that terminate TLS). */
  readonly tlsContexts: ReadonlyMap<string, ListenerTlsContext>;
  /** Metrics handles of a route's destination, resolved once per snapshot, not per request. */
  routeMetrics(route: CompiledRoute, dest: CompiledDestination): RouteMetrics;
  /** The workload certificate for mesh mTLS, when the proxy has one. */
  readonly identity: MeshIdentity | undefined;
}
