// A sidecar's snapshot in two parts, for a control plane serving thousands of sidecars:
//
//   outbound  the outbound route table and every cluster it names. It depends on the resources
//             the sidecar's namespace can see, the registry, the namespace and only those labels
//             of the workload that some selector reads. Every sidecar with the same of those gets
//             the same part, so it is computed once per such class (translate/cache/).
//   inbound   the inbound listener, its route table and the cluster of the app: per workload.
//
// Both are pure functions built from the same steps as translate(), and composeSidecar() puts
// them together into exactly the snapshot translate() returns (sidecar-parts.test.ts checks
// that on every testdata case), except `version`, which the caller computes (see cache/).
import type { Resource } from '../../api/kinds.js';
import type { Cluster, Listener, RouteConfig, Snapshot } from '../../model/snapshot.js';
import type { RegistrySnapshot } from '../registry/types.js';
import { Catalog, type CatalogService } from './catalog.js';
import { ClusterSet } from './clusters.js';
import { createContext, type Context } from './context.js';
import { DestinationRules } from './destination-rules.js';
import { MeshTls } from './mesh-tls.js';
import { PeerAuthentications } from './peer-authentication.js';
import { indexResources } from './resources.js';
import { inboundParts } from './sidecar-inbound.js';
import { outboundListener, outboundRouteConfig, outboundVirtualHosts, type ComputeHost, type OutboundVirtualHost } from './sidecar-outbound.js';
import type { MeshSettings, SidecarNode } from './types.js';
import { isVisible } from './visibility.js';
import { Warnings } from './warnings.js';

export interface OutboundPart {
  /** The route table named `outbound`. */
  readonly routeConfig: RouteConfig;
  /** Its clusters, sorted by name (all `outbound|…`). */
  readonly clusters: readonly Cluster[];
  readonly warnings: readonly string[];
}

export interface InboundPart {
  readonly listener?: Listener;
  readonly routeConfig?: RouteConfig;
  /** The app's cluster (`inbound|<port>||`). */
  readonly cluster?: Cluster;
  readonly warnings: readonly string[];
}

export interface OutboundInput {
  readonly resources: readonly Resource[];
  readonly registry: RegistrySnapshot;
  readonly mesh: MeshSettings;
  readonly namespace: string;
  /** The workload's labels; only those outboundLabelKeys() names change the result. */
  readonly labels: Readonly<Record<string, string>>;
}

/** The outbound part for sidecars in `namespace` with `labels`. */
export function sidecarOutbound(input: OutboundInput): OutboundPart {
  // A node that is no workload: the outbound side reads only its namespace and labels.
  const node: SidecarNode = { kind: 'sidecar', workloadId: '', namespace: input.namespace, labels: input.labels, ports: { outbound: 1, inbound: 1 } };
  const ctx = createContext({ resources: input.resources, registry: input.registry, mesh: input.mesh, proxy: node });
  const routeConfig = outboundRouteConfig(ctx, node);
  return { routeConfig, clusters: ctx.clusters.build(), warnings: ctx.warnings.list() };
}

/** One virtual host of the outbound table, with the clusters (name → http2) its routes ask for. */
export type OutboundHost = OutboundVirtualHost;

/**
 * The outbound part by virtual host, computing the routes of the services `compute` accepts
 * only (cache/snapshot-cache.ts puts the rest together from an earlier run). With every service
 * computed, `hosts` and `clusters(new Set())` are exactly sidecarOutbound()'s table and clusters.
 * `clusters(http2Also, rebuild)`: the clusters the computed hosts ask for, those named in
 * `http2Also` spoken to in HTTP/2 (a host not computed sends gRPC there), and those of `rebuild`
 * (name → http2) although no computed host asks for them (their content may have changed).
 * `serviceOf(cluster)`: the service a cluster built belongs to (undefined for a destination
 * nothing defines).
 */
export function sidecarOutboundHosts(
  input: OutboundInput,
  compute: ComputeHost,
): {
  hosts: OutboundHost[];
  clusters: (http2Also: ReadonlySet<string>, rebuild?: ReadonlyMap<string, boolean>) => Cluster[];
  serviceOf: (cluster: string) => CatalogService | undefined;
  warnings: () => string[];
  /** The services this namespace sees. */
  catalog: Catalog;
} {
  const node: SidecarNode = { kind: 'sidecar', workloadId: '', namespace: input.namespace, labels: input.labels, ports: { outbound: 1, inbound: 1 } };
  const ctx = createContext({ resources: input.resources, registry: input.registry, mesh: input.mesh, proxy: node });
  const hosts = outboundVirtualHosts(ctx, node, compute);
  return {
    hosts,
    catalog: ctx.catalog,
    clusters: (http2Also, rebuild) => {
      for (const name of http2Also) ctx.clusters.requireHttp2(name);
      for (const [name, http2] of rebuild ?? []) requestAgain(ctx, name, http2);
      return ctx.clusters.build();
    },
    serviceOf: (cluster) => ctx.clusters.serviceOf(cluster),
    warnings: () => ctx.warnings.list(),
  };
}

/** Asks for an outbound cluster by its name, as a route naming it would have. */
function requestAgain(ctx: Context, name: string, http2: boolean): void {
  const [direction, port, subset, host] = name.split('|');
  if (direction !== 'outbound' || host === undefined) throw new Error(`not an outbound cluster name: ${name}`);
  const service = ctx.catalog.lookup(host);
  // A service is found by its fqdn, which ends the name; anything else was a missing destination.
  if (service !== undefined && service.fqdn === host) ctx.clusters.outbound(service, Number(port), subset === '' ? undefined : subset, http2);
  else ctx.clusters.missing(host, Number(port), subset === '' ? undefined : subset);
}

/** The inbound part of one sidecar. */
export function sidecarInbound(input: { resources: readonly Resource[]; registry: RegistrySnapshot; mesh: MeshSettings; proxy: SidecarNode }): InboundPart {
  const warnings = new Warnings();
  const index = indexResources(input.resources);
  const peers = new PeerAuthentications(index.peerAuthentications, input.mesh.rootNamespace);
  const rules = new DestinationRules(index.destinationRules, input.proxy, input.mesh.rootNamespace, warnings);
  const ctx: Context = {
    proxy: input.proxy,
    mesh: input.mesh,
    registry: input.registry,
    credentials: {},
    warnings,
    index,
    // The inbound side never looks services up by name (the catalog is the costly part of a
    // context: every service of the mesh); composeSidecar's test would catch it if it started to.
    catalog: new Catalog([]),
    rules,
    peers,
    clusters: new ClusterSet(input.registry, rules, new MeshTls(input.registry, peers, input.mesh.trustDomain, warnings), warnings),
  };
  const parts = inboundParts(ctx, input.proxy);
  const clusters = ctx.clusters.build();
  return {
    ...(parts ? { listener: parts.listener } : {}),
    ...(parts?.routeConfig ? { routeConfig: parts.routeConfig } : {}),
    ...(clusters.length > 0 ? { cluster: clusters[0] } : {}),
    warnings: warnings.list(),
  };
}

/**
 * The sidecar's snapshot content from its parts, in translate()'s order: listeners outbound then
 * inbound, route tables likewise, clusters by name (`inbound|…` sorts before every `outbound|…`).
 */
export function composeSidecar(node: SidecarNode, outbound: OutboundPart, inbound: InboundPart): Omit<Snapshot, 'version'> & Pick<Required<Snapshot>, 'listeners' | 'routeConfigs' | 'clusters'> {
  return {
    listeners: inbound.listener ? [outboundListener(node), inbound.listener] : [outboundListener(node)],
    routeConfigs: inbound.routeConfig ? [outbound.routeConfig, inbound.routeConfig] : [outbound.routeConfig],
    clusters: inbound.cluster ? [inbound.cluster, ...outbound.clusters] : [...outbound.clusters],
  };
}

/**
 * The resources a sidecar in `namespace` can be affected by: VirtualServices, DestinationRules
 * and ServiceEntries not exported to it are left out (translate drops them for this namespace
 * first thing, by the same exportTo rule); everything else is kept. Relative order (age) is kept.
 */
export function resourcesVisibleFrom(resources: readonly Resource[], namespace: string): Resource[] {
  return resources.filter((r) => {
    switch (r.kind) {
      case 'VirtualService':
      case 'DestinationRule':
      case 'ServiceEntry':
        return isVisible(r.spec.exportTo, r.metadata.namespace, namespace);
      default:
        return true;
    }
  });
}

/**
 * The workload label keys that the outbound part reads: VirtualService `sourceLabels` (http, tcp
 * and tls matches) and DestinationRule `workloadSelector`. Two workloads of one namespace whose
 * labels agree on these keys get the same outbound part, since a selector only ever reads the
 * keys it names (visibility.ts `selects`).
 */
export function outboundLabelKeys(resources: readonly Resource[]): string[] {
  const keys = new Set<string>();
  for (const r of resources) {
    if (r.kind === 'VirtualService') {
      for (const rule of [...(r.spec.http ?? []), ...(r.spec.tcp ?? []), ...(r.spec.tls ?? [])]) {
        for (const m of rule.match ?? []) for (const k of Object.keys(m.sourceLabels ?? {})) keys.add(k);
      }
    } else if (r.kind === 'DestinationRule') {
      for (const k of Object.keys(r.spec.workloadSelector?.matchLabels ?? {})) keys.add(k);
    }
  }
  return [...keys].sort();
}
