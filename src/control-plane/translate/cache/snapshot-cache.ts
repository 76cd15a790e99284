// Snapshots for many proxies without translating the whole mesh once per proxy.
//
// translate() is pure and computes a sidecar's snapshot from scratch: at 1,000 services that is
// ~80 ms and ~1.3 MB of JSON per sidecar, so 2,000 sidecars would cost minutes of CPU and gigabytes
// per change. Most of it, the outbound side (a virtual host and a cluster per visible service), is
// the same for every sidecar of a namespace. This cache computes it once per *class* and reuses
// the objects and their JSON text; only the small inbound side is computed per sidecar.
//
// Why reuse is correct. The outbound part (translate/sidecar-parts.ts sidecarOutbound) reads:
//   - the registry snapshot: compared by identity (the registry returns the same frozen object
//     until something changes);
//   - the resources visible from the namespace: VirtualServices, DestinationRules and
//     ServiceEntries not exported there are dropped by translate before anything else reads them,
//     so only the visible ones (and every other kind) are compared, element by element by identity
//     (the store hands out the same object for a resource until it is applied again). A change
//     private to another namespace therefore leaves this class's part, and its proxies, alone;
//   - the namespace and mesh settings: part of the key / fixed per cache;
//   - the workload's labels, but only through selectors (VirtualService sourceLabels,
//     DestinationRule workloadSelector), which read only the keys they name: the key holds the
//     labels restricted to the keys the visible resources' selectors name.
// sidecar-parts.test.ts checks on every testdata case that composing the parts gives translate()'s
// snapshot, and that dropping invisible resources changes nothing.
//
// When a class's part must change, it is not always computed whole: a change of VirtualServices
// or DestinationRules that names its hosts (outbound-attribution.ts, which says why that
// attribution is sound) recomputes only those hosts' virtual hosts (for a DestinationRule, also
// every virtual host naming a cluster of its host, as recorded) and the clusters they name, and
// reuses the JSON text of every other virtual host and cluster from the class's last part. At
// 1,000 services that turns a mesh-wide VirtualService or DestinationRule from ~40 ms per
// namespace into a few (outbound-update.test.ts compares the result with translate() along
// random sequences of single-resource changes).
//
// The version is a content hash like translate()'s, with the same properties (same content, same
// version, on any control plane; any change, a new one), but hashed over the class part's digest
// and the sidecar's own parts, so a push does not re-hash megabytes per sidecar. Its value
// therefore differs from translate().snapshot.version for the same content.
import { createHash } from 'node:crypto';
import type { Resource } from '../../../api/kinds.js';
import type { Snapshot } from '../../../model/snapshot.js';
import { layoutOf, pieceOf, type LayoutEntry, type LayoutPiece, type SnapshotLayout } from '../../discovery/layout.js';
import type { RegistrySnapshot } from '../../registry/types.js';
import { compare } from '../order.js';
import { OUTBOUND_ROUTE_CONFIG } from '../sidecar-outbound.js';
import type { CatalogService } from '../catalog.js';
import { composeSidecar, outboundLabelKeys, resourcesVisibleFrom, sidecarInbound, sidecarOutboundHosts, type OutboundHost, type OutboundPart } from '../sidecar-parts.js';
import { translate } from '../translate.js';
import { changedHosts, type ChangedHosts } from './outbound-attribution.js';
import type { GatewayCredential, MeshSettings, ProxyNode, SidecarNode } from '../types.js';

/**
 * A snapshot as its JSON text, in pieces; pieces shared by a class are one Buffer for all. The
 * objects are not kept: thousands of sidecars' snapshots as objects would make a heap of hundreds
 * of megabytes that every garbage collection walks, to be read only by `maille proxy-config`.
 */
export interface EncodedSnapshot {
  /** The snapshot's `version`: a content hash. */
  readonly version: string;
  /** Concatenated: the snapshot's JSON text. */
  readonly chunks: readonly Buffer[];
  /** The snapshot as objects, parsed from the text on each read (a getter: read it rarely). */
  readonly snapshot: Snapshot;
  /**
   * translate()'s warnings for this proxy. Those of a shared part are returned once, with the
   * snapshot that computed it, not with every proxy that reuses it.
   */
  readonly warnings: readonly string[];
  /**
   * The same snapshot's named entries, for delta pushes (discovery/layout.ts, delta.ts). The class
   * part's pieces are one object per class version, shared by every sidecar of the class, so the
   * difference between two versions is computed once for all of them.
   */
  readonly layout: SnapshotLayout;
}

export interface CacheInput {
  readonly resources: readonly Resource[];
  readonly registry: RegistrySnapshot;
  readonly proxy: ProxyNode;
  readonly credentials?: Readonly<Record<string, GatewayCredential>>;
}

interface ClassEntry {
  readonly registry: RegistrySnapshot;
  readonly visible: readonly Resource[];
  /** The outbound part's warnings. The part itself is kept only as text. */
  readonly warnings: readonly string[];
  /** JSON of part.routeConfig. */
  readonly routeConfigJson: Buffer;
  /** JSON of part.clusters without the brackets ('' when none). */
  readonly clustersJson: Buffer;
  /** Hash of both: stands for the whole part in each proxy's version. */
  readonly digest: string;
  /** part.routeConfig as a layout piece (its virtual hosts indexed). */
  readonly routePiece: LayoutPiece;
  /** part.clusters as a layout piece: views into clustersJson, no copies. */
  readonly clustersPiece: LayoutPiece;
  /** The clusters each virtual host's routes name (name → http2), for the next change's update. */
  readonly hostClusters: ReadonlyMap<string, ReadonlyMap<string, boolean>>;
  /** The service (fqdn) of each service virtual host; alias hosts have none. */
  readonly hostServices: ReadonlyMap<string, string>;
  /** The hostnames of each cluster's service (none for a destination nothing defines). */
  readonly clusterHosts: ReadonlyMap<string, readonly string[]>;
}

/** Classes kept at most; a mesh has one per namespace (times selector label combinations). */
const MAX_CLASSES = 4096;

export class SnapshotCache {
  private readonly classes = new Map<string, ClassEntry>();
  /**
   * The last result per sidecar node (the caller keeps one node object per proxy). Its warnings
   * were already returned once, so a reuse returns none.
   */
  private readonly lastBySidecar = new WeakMap<
    SidecarNode,
    { entry: ClassEntry; registry: RegistrySnapshot; peerAuthentications: readonly Resource[]; inbound: InboundText; result: EncodedSnapshot }
  >();
  /** How many outbound parts were computed (tests, and the bench's curiosity). */
  computed = 0;
  /** How many of those were updates of an earlier part, only the changed hosts computed. */
  updated = 0;
  /** How many of those updates followed a change of DestinationRules (tests). */
  updatedForRules = 0;

  constructor(private readonly mesh: MeshSettings) {}

  snapshot(input: CacheInput): EncodedSnapshot {
    if (input.proxy.kind === 'gateway') {
      // Gateways are few and each has its own configuration: nothing to share.
      const { snapshot, warnings } = translate({ ...input, mesh: this.mesh });
      const chunks = [Buffer.from(JSON.stringify(snapshot))];
      return { version: snapshot.version, chunks, warnings, snapshot, layout: layoutOf(snapshot) };
    }
    return this.sidecar(input, input.proxy);
  }

  private sidecar(input: CacheInput, proxy: SidecarNode): EncodedSnapshot {
    const { entry, fresh } = this.outbound(input.resources, input.registry, proxy);
    // The inbound part reads the registry, the PeerAuthentications and the node (sidecar-inbound.ts):
    // when none of them and the class part changed, the last result stands as it is.
    const peerAuthentications = input.resources.filter((r) => r.kind === 'PeerAuthentication');
    const last = this.lastBySidecar.get(proxy);
    const inboundSame = last !== undefined && last.registry === input.registry && sameItems(last.peerAuthentications, peerAuthentications);
    if (inboundSame && last.entry === entry) return last.result;
    // Only the class part changed (a mesh-wide VirtualService, say): the sidecar's own part stands,
    // and so do its pieces, which a delta then compares by identity.
    const inbound = inboundSame ? { ...last.inbound, warnings: [] } : this.inbound(input, proxy);
    const result = this.compose(inbound, entry, fresh);
    this.lastBySidecar.set(proxy, { entry, registry: input.registry, peerAuthentications, inbound, result: new TextSnapshot(result.version, result.chunks, [], result.layout) });
    return result;
  }

  /** The sidecar's own part, as text and layout pieces. It reads the registry, the PeerAuthentications and the node only. */
  private inbound(input: CacheInput, proxy: SidecarNode): InboundText {
    const inbound = sidecarInbound({ resources: input.resources, registry: input.registry, mesh: this.mesh, proxy });
    // composeSidecar's order, written out around the class part's text (sidecar-parts.test.ts
    // checks the result against translate()).
    const { listeners } = composeSidecar(proxy, EMPTY_OUTBOUND, inbound);
    const listenersPiece = pieceOf(listeners);
    const inboundRoutePiece = pieceOf(inbound.routeConfig ? [inbound.routeConfig] : [], true);
    const inboundClusterPiece = pieceOf(inbound.cluster ? [inbound.cluster] : []);
    return {
      listenersPiece,
      inboundRoutePiece,
      inboundClusterPiece,
      listenersJson: `[${listenersPiece.entries.map((e) => e.json.toString()).join(',')}]`,
      inboundRouteJson: inbound.routeConfig ? `,${inboundRoutePiece.entries[0].json.toString()}` : '',
      inboundClusterJson: inbound.cluster ? inboundClusterPiece.entries[0].json.toString() : '',
      warnings: inbound.warnings,
    };
  }

  private compose(inbound: InboundText, entry: ClassEntry, fresh: boolean): EncodedSnapshot {
    const { listenersPiece, inboundRoutePiece, inboundClusterPiece, listenersJson, inboundRouteJson, inboundClusterJson } = inbound;
    const version = createHash('sha256')
      .update(entry.digest)
      .update('\0')
      .update(listenersJson)
      .update('\0')
      .update(inboundRouteJson)
      .update('\0')
      .update(inboundClusterJson)
      .digest('hex')
      .slice(0, 16);
    const clusterSeparator = inboundClusterJson !== '' && entry.clustersJson.length > 0 ? ',' : '';
    const chunks = [
      Buffer.from(`{"version":${JSON.stringify(version)},"listeners":${listenersJson},"routeConfigs":[`),
      entry.routeConfigJson,
      Buffer.from(`${inboundRouteJson}],"clusters":[${inboundClusterJson}${clusterSeparator}`),
      entry.clustersJson,
      Buffer.from(']}'),
    ];
    const layout: SnapshotLayout = {
      scalars: { version: JSON.stringify(version) },
      collections: { listeners: [listenersPiece], routeConfigs: [entry.routePiece, inboundRoutePiece], clusters: [inboundClusterPiece, entry.clustersPiece] },
    };
    return new TextSnapshot(version, chunks, fresh ? [...entry.warnings, ...inbound.warnings] : inbound.warnings, layout);
  }

  private outbound(resources: readonly Resource[], registry: RegistrySnapshot, proxy: SidecarNode): { entry: ClassEntry; fresh: boolean } {
    const visible = resourcesVisibleFrom(resources, proxy.namespace);
    const labels: Record<string, string> = {};
    for (const k of outboundLabelKeys(visible)) if (proxy.labels[k] !== undefined) labels[k] = proxy.labels[k];
    const key = JSON.stringify([proxy.namespace, labels]);
    const known = this.classes.get(key);
    if (known !== undefined && known.registry === registry && sameItems(known.visible, visible)) return { entry: known, fresh: false };

    this.computed++;
    // A change of VirtualServices or DestinationRules that names its hosts: only the virtual hosts
    // those concern (and the clusters they name) are computed again (outbound-attribution.ts
    // says why that is enough).
    const hosts = known !== undefined && known.registry === registry ? changedHosts(known.visible, visible) : 'all';
    const entry = (hosts !== 'all' && known !== undefined ? this.update(known, hosts, resources, registry, proxy.namespace, labels, visible) : undefined) ??
      this.compute(resources, registry, proxy.namespace, labels, visible);
    this.classes.delete(key);
    this.classes.set(key, entry);
    if (this.classes.size > MAX_CLASSES) this.classes.delete(this.classes.keys().next().value as string);
    return { entry, fresh: true };
  }

  /** The class part from scratch. */
  private compute(resources: readonly Resource[], registry: RegistrySnapshot, namespace: string, labels: Record<string, string>, visible: readonly Resource[]): ClassEntry {
    // Every resource, not only the visible ones: translate's own input, so ages (order) and all
    // are exactly what translate() would see.
    const part = sidecarOutboundHosts({ resources, registry, mesh: this.mesh, namespace, labels }, () => true);
    const virtualHosts = part.hosts.map((h) => ({ name: h.name, text: JSON.stringify(h.host) }));
    const clusters = part.clusters(new Set()).map((c) => ({ name: c.name, text: JSON.stringify(c) }));
    const clusterHosts = new Map<string, readonly string[]>();
    for (const { name } of clusters) {
      const service = part.serviceOf(name);
      if (service !== undefined) clusterHosts.set(name, service.hostnames);
    }
    return entryOf(registry, visible, part.warnings(), virtualHosts, clusters, {
      hostClusters: new Map(part.hosts.map((h) => [h.name, h.clusters])),
      hostServices: servicesOf(part.hosts),
      clusterHosts,
    });
  }

  /**
   * The class part from `known` after a change that can concern the virtual hosts of `hosts`
   * only: those are computed, every other virtual host and cluster keeps its text. undefined when
   * the earlier run does not hold what is needed (then the caller computes it all).
   */
  private update(
    known: ClassEntry,
    changed: ChangedHosts,
    resources: readonly Resource[],
    registry: RegistrySnapshot,
    namespace: string,
    labels: Record<string, string>,
    visible: readonly Resource[],
  ): ClassEntry | undefined {
    const { virtualServices, destinationRules } = changed;
    // Services whose virtual hosts name a cluster of a changed DestinationRule's host: their
    // routes may differ (a subset that exists or not) and those clusters must be built again.
    const referring = new Set<string>();
    if (destinationRules.size > 0) {
      for (const [host, clusters] of known.hostClusters) {
        const service = known.hostServices.get(host);
        if (service === undefined || referring.has(service)) continue;
        for (const name of clusters.keys()) {
          if (known.clusterHosts.get(name)?.some((h) => destinationRules.has(h))) {
            referring.add(service);
            break;
          }
        }
      }
    }
    const compute = (service: CatalogService) =>
      referring.has(service.fqdn) || service.hostnames.some((h) => virtualServices.has(h) || destinationRules.has(h));
    const part = sidecarOutboundHosts({ resources, registry, mesh: this.mesh, namespace, labels }, compute);
    const oldHosts = new Map(known.routePiece.entries[0]?.virtualHosts?.entries.map((e) => [e.name, e.json]) ?? []);
    const oldClusters = new Map(known.clustersPiece.entries.map((e) => [e.name, e.json]));
    const hostClusters = new Map<string, ReadonlyMap<string, boolean>>();
    const http2Elsewhere = new Set<string>();
    const named = new Set<string>();
    for (const h of part.hosts) {
      const clusters = h.host !== undefined ? h.clusters : known.hostClusters.get(h.name);
      if (clusters === undefined || (h.host === undefined && !oldHosts.has(h.name))) return undefined;
      hostClusters.set(h.name, clusters);
      for (const [name, http2] of clusters) {
        named.add(name);
        if (h.host === undefined && http2) http2Elsewhere.add(name);
      }
    }
    const built = new Map(part.clusters(http2Elsewhere).map((c) => [c.name, c]));
    const clusters: { name: string; text: string | Buffer }[] = [];
    const clusterHosts = new Map<string, readonly string[]>();
    for (const name of [...named].sort(compare)) {
      const cluster = built.get(name);
      const text = cluster !== undefined ? JSON.stringify(cluster) : oldClusters.get(name);
      if (text === undefined) return undefined;
      clusters.push({ name, text });
      const owner = cluster !== undefined ? part.serviceOf(name)?.hostnames : known.clusterHosts.get(name);
      if (owner !== undefined) clusterHosts.set(name, owner);
    }
    const virtualHosts = part.hosts.map((h) => ({ name: h.name, text: h.host !== undefined ? JSON.stringify(h.host) : (oldHosts.get(h.name) as Buffer) }));
    this.updated++;
    if (destinationRules.size > 0) this.updatedForRules++;
    return entryOf(registry, visible, part.warnings(), virtualHosts, clusters, { hostClusters, hostServices: servicesOf(part.hosts), clusterHosts });
  }
}

/** Each service virtual host's service fqdn. */
function servicesOf(hosts: readonly OutboundHost[]): Map<string, string> {
  const services = new Map<string, string>();
  for (const h of hosts) if (h.service !== undefined) services.set(h.name, h.service.fqdn);
  return services;
}

/** What the cache records of a part about which virtual host needs what. */
type Recorded = Pick<ClassEntry, 'hostClusters' | 'hostServices' | 'clusterHosts'>;

/** A class entry from its virtual hosts' and clusters' JSON text, in the table's order. */
function entryOf(
  registry: RegistrySnapshot,
  visible: readonly Resource[],
  warnings: readonly string[],
  virtualHosts: readonly Named[],
  clusters: readonly Named[],
  recorded: Recorded,
): ClassEntry {
  const { json: routeConfigJson, piece: routePiece } = routeTablePiece(virtualHosts);
  const { json: clustersJson, entries } = joinedWithViews('', clusters, '');
  const digest = createHash('sha256').update(routeConfigJson).update('\0').update(clustersJson).digest('hex');
  return { registry, visible, warnings, routeConfigJson, clustersJson, digest, routePiece, clustersPiece: { entries }, ...recorded };
}

/** An entry's name and JSON text. */
interface Named {
  readonly name: string;
  readonly text: string | Buffer;
}

/** A sidecar's own part as text (pieces of the snapshot's JSON) and as layout pieces. */
interface InboundText {
  readonly listenersPiece: LayoutPiece;
  readonly inboundRoutePiece: LayoutPiece;
  readonly inboundClusterPiece: LayoutPiece;
  readonly listenersJson: string;
  /** With its leading comma; '' when none. */
  readonly inboundRouteJson: string;
  readonly inboundClusterJson: string;
  readonly warnings: readonly string[];
}

/** For composeSidecar's listeners: they do not depend on the outbound part. */
const EMPTY_OUTBOUND: OutboundPart = { routeConfig: { name: 'outbound', virtualHosts: [] }, clusters: [], warnings: [] };

/**
 * The outbound route table's JSON (JSON.stringify's text of `{name: 'outbound', virtualHosts}`)
 * and its layout piece with the virtual hosts indexed.
 */
function routeTablePiece(virtualHosts: readonly Named[]): { json: Buffer; piece: LayoutPiece } {
  const name = OUTBOUND_ROUTE_CONFIG;
  const { json, entries } = joinedWithViews(`{"name":${JSON.stringify(name)},"virtualHosts":[`, virtualHosts, ']}');
  return { json, piece: { entries: [{ name, json, virtualHosts: { entries } }] } };
}

/**
 * head + the items' JSON joined by commas + tail, as one Buffer, and one layout entry per item
 * whose text is a view into it: no copy per entry, one allocation per part.
 */
function joinedWithViews(head: string, items: readonly Named[], tail: string): { json: Buffer; entries: LayoutEntry[] } {
  const texts = items.map((item) => (typeof item.text === 'string' ? Buffer.from(item.text) : item.text));
  const parts: Buffer[] = [Buffer.from(head)];
  for (const [i, text] of texts.entries()) {
    if (i > 0) parts.push(COMMA);
    parts.push(text);
  }
  parts.push(Buffer.from(tail));
  const json = Buffer.concat(parts);
  const entries: LayoutEntry[] = [];
  let offset = Buffer.byteLength(head);
  for (const [i, text] of texts.entries()) {
    entries.push({ name: items[i].name, json: json.subarray(offset, offset + text.length) });
    offset += text.length + 1;
  }
  return { json, entries };
}

const COMMA = Buffer.from(',');

class TextSnapshot implements EncodedSnapshot {
  constructor(
    readonly version: string,
    readonly chunks: readonly Buffer[],
    readonly warnings: readonly string[],
    readonly layout: SnapshotLayout,
  ) {}

  get snapshot(): Snapshot {
    return JSON.parse(Buffer.concat(this.chunks).toString('utf8')) as Snapshot;
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
