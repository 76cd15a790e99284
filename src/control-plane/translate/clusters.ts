// The clusters of a snapshot: only those something in it refers to. Routes ask for a cluster by
// what they mean (this service, port and subset) and get its name; the clusters are built once at
// the end, so a service referred to by ten routes is one cluster.
//
// Names follow Istio's (`outbound|9080|v1|reviews.default.svc.cluster.local`,
// `inbound|9080||`), which `maille proxy-config clusters` shows to people used to Istio.
//
// Subsets are separate clusters, as in Istio, rather than the proxy's in-cluster subsets: a
// DestinationRule subset may carry its own traffic policy (balancer, circuit breakers, outlier
// detection), and those are per cluster in the snapshot. It also gives each subset its own
// breaker counts and ejections, which is what Istio users observe. And mesh mTLS is decided per
// cluster, from the workloads of its subset (mesh-tls.ts).
import type { Cluster, Endpoint } from '../../model/snapshot.js';
import type { RegistrySnapshot } from '../registry/types.js';
import type { CatalogPort, CatalogService } from './catalog.js';
import type { DestinationRules } from './destination-rules.js';
import { serviceEndpoints, serviceWorkloads } from './endpoints.js';
import type { MeshTls } from './mesh-tls.js';
import { compare } from './order.js';
import { clusterSettings } from './policies.js';
import { selects } from './visibility.js';
import type { Warnings } from './warnings.js';

type Request =
  | { kind: 'outbound'; service: CatalogService; port: number; subset: string | undefined; http2: boolean }
  | { kind: 'missing' }
  | { kind: 'inbound'; port: number; protocol: Cluster['protocol'] };

export function outboundClusterName(port: number, subset: string | undefined, host: string): string {
  return `outbound|${port}|${subset ?? ''}|${host}`;
}

export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

export class ClusterSet {
  private readonly requests = new Map<string, Request>();
  /**
   * Told of every outbound (and missing) cluster asked for, with its http2 flag: the snapshot
   * cache records which clusters each virtual host needs (cache/snapshot-cache.ts).
   */
  onRequest: ((name: string, http2: boolean) => void) | undefined;

  constructor(
    private readonly registry: RegistrySnapshot,
    private readonly rules: DestinationRules,
    private readonly meshTls: MeshTls,
    private readonly warnings: Warnings,
  ) {}

  /** A cluster of a known service. `http2`: a gRPC route sends there, so speak HTTP/2 whatever the port says. */
  outbound(service: CatalogService, port: number, subset: string | undefined, http2 = false): string {
    const name = outboundClusterName(port, subset, service.fqdn);
    this.onRequest?.(name, http2);
    const known = this.requests.get(name);
    if (known?.kind === 'outbound') known.http2 ||= http2;
    else this.requests.set(name, { kind: 'outbound', service, port, subset, http2 });
    return name;
  }

  /**
   * The service a cluster asked for by outbound() belongs to (undefined for missing and inbound
   * ones): the snapshot cache records it to know which clusters a DestinationRule's host concerns.
   */
  serviceOf(name: string): CatalogService | undefined {
    const known = this.requests.get(name);
    return known?.kind === 'outbound' ? known.service : undefined;
  }

  /** Speak HTTP/2 to a cluster already asked for (a route elsewhere sends gRPC there). */
  requireHttp2(name: string): void {
    const known = this.requests.get(name);
    if (known?.kind === 'outbound') known.http2 = true;
  }

  /**
   * A cluster for a destination nothing defines: it has no endpoints, so requests routed there
   * get the proxy's 503 naming it (as in Istio, where they get 503 "no cluster"), while the other
   * destinations of the route keep their share.
   */
  missing(host: string, port: number, subset: string | undefined): string {
    const name = outboundClusterName(port, subset, host);
    this.onRequest?.(name, false);
    if (!this.requests.has(name)) this.requests.set(name, { kind: 'missing' });
    return name;
  }

  /** The app behind a sidecar, on loopback. */
  inbound(port: number, protocol: Cluster['protocol']): string {
    const name = inboundClusterName(port);
    this.requests.set(name, { kind: 'inbound', port, protocol });
    return name;
  }

  build(): Cluster[] {
    return [...this.requests.entries()].sort(([a], [b]) => compare(a, b)).map(([name, r]) => this.buildOne(name, r));
  }

  private buildOne(name: string, r: Request): Cluster {
    if (r.kind === 'missing') return { name, endpoints: [] };
    if (r.kind === 'inbound') return withProtocol(name, r.protocol, [{ address: '127.0.0.1', port: r.port }]);
    const port: CatalogPort = r.service.ports.find((p) => p.port === r.port) ?? { port: r.port, kind: 'detect' };
    let endpoints = serviceEndpoints(this.registry, r.service, port, this.warnings);
    let workloads = serviceWorkloads(this.registry, r.service);
    const rule = this.rules.forService(r.service);
    const subset = r.subset === undefined ? undefined : rule?.subsets.get(r.subset);
    if (r.subset !== undefined) {
      // An undefined subset was reported where it is referred to; its cluster stays empty.
      endpoints = subset === undefined ? [] : endpoints.filter((e) => selects(subset.subset.labels, e.labels ?? {}));
      workloads = workloads && (subset === undefined ? [] : workloads.filter((w) => selects(subset.subset.labels, w.labels)));
    }
    const protocol = port.kind === 'http2' || r.http2 ? 'http2' : port.kind === 'tcp' ? 'tcp' : undefined;
    const { settings, tls } = clusterSettings(rule?.trafficPolicy, subset?.source, r.port, this.warnings);
    const mtls = this.meshTls.forCluster(name, r.service, workloads, tls);
    return { ...withProtocol(name, protocol, endpoints), ...settings, ...(mtls ? { mtls } : {}) };
  }
}

/** HTTP/1 is the proxy's default, so it is left out. */
function withProtocol(name: string, protocol: Cluster['protocol'], endpoints: Endpoint[]): Cluster {
  return protocol === undefined || protocol === 'http1' ? { name, endpoints } : { name, protocol, endpoints };
}
