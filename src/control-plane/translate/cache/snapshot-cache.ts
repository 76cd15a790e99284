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
// When a class's part must change, it is not always computed whole: a change of resources whose
// reach outbound-attribution.ts can tell (every kind, wildcards and exportTo included; that file
// says why the attribution is sound) recomputes only the virtual hosts it concerns, the clusters
// they name and the clusters whose content it concerns (for a PeerAuthentication, worked out once
// for every class: peer-attribution.ts), and reuses the JSON text and hash of every other virtual
// host and cluster from the class's last part. A change nothing of the part reads (a Gateway, an
// AuthorizationPolicy) keeps the part as it is. The catalog and the services' domains, which
// depend on the registry and the visible ServiceEntries only, are shared between classes and
// updates (catalog.ts, sidecar-outbound.ts). At 1,000 services that turns a mesh-wide change of
// any of those kinds from ~40 ms per namespace into a few (outbound-update.test.ts and
// all-kinds-property.test.ts compare the result with translate() along random sequences of
// changes).
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
import type { ComputeHost } from '../sidecar-outbound.js';
import { composeSidecar, outboundLabelKeys, resourcesVisibleFrom, sidecarInbound, sidecarOutboundHosts, type OutboundPart } from '../sidecar-parts.js';
import type { Catalog } from '../catalog.js';
import { translate } from '../translate.js';
import { isEmptyChange, outboundChange, routesChanged, type OutboundChange } from './outbound-attribution.js';
import { affectedWorkloads, peersConcern } from './peer-attribution.js';
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
  /**
   * Hash of both: stands for the whole part in each proxy's version. Hashed over each virtual
   * host's and cluster's own hash (kept below), so an update hashes only what it computed.
   */
  readonly digest: string;
  /** Each virtual host's and each cluster's hash, by name. */
  readonly hostDigests: ReadonlyMap<string, string>;
  readonly clusterDigests: ReadonlyMap<string, string>;
  /** part.routeConfig as a layout piece (its virtual hosts indexed). */
  readonly routePiece: LayoutPiece;
  /** part.clusters as a layout piece: views into clustersJson, no copies. */
  readonly clustersPiece: LayoutPiece;
  /** The clusters each virtual host's routes name (name → http2), for the next change's update. */
  readonly hostClusters: ReadonlyMap<string, ReadonlyMap<string, boolean>>;
  /** Each virtual host's domains: one whose domains changed is computed again. */
  readonly hostDomains: ReadonlyMap<string, readonly string[]>;
  /** Each cluster's http2 bit, ORed over the virtual hosts naming it. */
  readonly clusterHttp2: ReadonlyMap<string, boolean>;
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
  /** The last PeerAuthentication change worked out (every class sees the same one). */
  private lastPeerEffect: { registry: RegistrySnapshot; was: readonly Resource[]; is: readonly Resource[]; affected: ReadonlySet<string> } | undefined;

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
    // The same class part, or a copy of it with the same pieces (a change the part does not read,
    // such as a Gateway's): the same snapshot, not even composed again.
    if (inboundSame && (last.entry === entry || (last.entry.routePiece === entry.routePiece && last.entry.clustersPiece === entry.clustersPiece))) {
      if (last.entry !== entry) this.lastBySidecar.set(proxy, { ...last, entry });
      return last.result;
    }
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
    // A change whose reach the attribution can tell (outbound-attribution.ts says why that is
    // enough): only what it concerns is computed again.
    let entry: ClassEntry | undefined;
    if (known !== undefined && known.registry === registry) {
      const change = outboundChange(known.visible, visible, (h) => registryHostnames(registry).has(h));
      if (change !== 'all') entry = this.update(known, change, resources, registry, proxy.namespace, labels, visible);
    }
    entry ??= this.compute(resources, registry, proxy.namespace, labels, visible);
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
      hostDomains: new Map(part.hosts.map((h) => [h.name, h.domains])),
      clusterHttp2: http2Of(part.hosts.map((h) => h.clusters)),
      clusterHosts,
    });
  }

  /**
   * The class part from `known` after a change that concerns what `change` says only: the
   * virtual hosts it concerns are computed and so are the clusters they name or whose content
   * it concerns; every other virtual host and cluster keeps its text. undefined when the earlier
   * run does not hold what is needed (then the caller computes it all).
   */
  private update(
    known: ClassEntry,
    change: OutboundChange,
    resources: readonly Resource[],
    registry: RegistrySnapshot,
    namespace: string,
    labels: Record<string, string>,
    visible: readonly Resource[],
  ): ClassEntry | undefined {
    const peers = change.peers ? this.peerEffect(registry, known.visible, visible) : NO_WORKLOADS;
    if (peers.size === 0 && isEmptyChange({ ...change, peers: false })) {
      // Nothing the outbound part reads changed (a Gateway, an AuthorizationPolicy, a
      // PeerAuthentication no cluster's mTLS depends on): the same part, pieces and all.
      this.updated++;
      return { ...known, visible, warnings: [] };
    }
    // Virtual hosts naming a cluster of a host a destination may now resolve to differently, or a
    // subset cluster of a service whose DestinationRule changed (is the subset defined: a warning).
    const referring = new Set<string>();
    if (change.destinations.size > 0 || !change.subsetReferrers.empty) {
      const concerned = new Map<string, boolean>();
      const concerns = (name: string): boolean => {
        let yes = concerned.get(name);
        if (yes === undefined) {
          const [, , subset, host] = name.split('|');
          const owner = known.clusterHosts.get(name);
          yes = change.destinations.has(host) || (subset !== '' && owner !== undefined && change.subsetReferrers.matches(owner));
          concerned.set(name, yes);
        }
        return yes;
      };
      for (const [host, clusters] of known.hostClusters) {
        for (const name of clusters.keys()) {
          if (concerns(name)) {
            referring.add(host);
            break;
          }
        }
      }
    }
    const oldHosts = new Map(known.routePiece.entries[0]?.virtualHosts?.entries.map((e) => [e.name, e.json]) ?? []);
    const oldClusters = new Map(known.clustersPiece.entries.map((e) => [e.name, e.json]));
    const compute: ComputeHost = (service, name, domains) =>
      routesChanged(change, service) || referring.has(name) || !oldHosts.has(name) || !sameItems(known.hostDomains.get(name) ?? [], domains);
    const part = sidecarOutboundHosts({ resources, registry, mesh: this.mesh, namespace, labels }, compute);

    const hostClusters = new Map<string, ReadonlyMap<string, boolean>>();
    const hostDomains = new Map<string, readonly string[]>();
    const http2Elsewhere = new Set<string>();
    const requested = new Set<string>();
    for (const h of part.hosts) {
      const clusters = h.host !== undefined ? h.clusters : known.hostClusters.get(h.name);
      if (clusters === undefined) return undefined;
      hostClusters.set(h.name, clusters);
      hostDomains.set(h.name, h.domains);
      for (const [name, http2] of clusters) {
        if (h.host !== undefined) requested.add(name);
        else if (http2) http2Elsewhere.add(name);
      }
    }
    const clusterHttp2 = http2Of(hostClusters.values());
    // Clusters no computed host asks for, built again all the same: their content may differ (a
    // DestinationRule or ServiceEntry of their host, the mTLS of their workloads), the hosts
    // naming them now speak gRPC there or no longer, or the last part did not have them.
    const rebuild = new Map<string, boolean>();
    for (const [name, http2] of clusterHttp2) {
      if (requested.has(name)) continue;
      const owner = known.clusterHosts.get(name);
      const again =
        !oldClusters.has(name) ||
        known.clusterHttp2.get(name) !== http2 ||
        (owner !== undefined && change.clusters.matches(owner)) ||
        (peers.size > 0 && peersOf(registry, peers, part.catalog, name));
      if (again) rebuild.set(name, http2);
    }
    const built = new Map(part.clusters(http2Elsewhere, rebuild).map((c) => [c.name, c]));
    const clusters: Named[] = [];
    const clusterHosts = new Map<string, readonly string[]>();
    for (const name of sortedNames(known.clustersPiece.entries, clusterHttp2)) {
      const cluster = built.get(name);
      const text = cluster !== undefined ? JSON.stringify(cluster) : oldClusters.get(name);
      if (text === undefined) return undefined;
      clusters.push(cluster !== undefined ? { name, text } : { name, text, digest: known.clusterDigests.get(name) });
      const owner = cluster !== undefined ? part.serviceOf(name)?.hostnames : known.clusterHosts.get(name);
      if (owner !== undefined) clusterHosts.set(name, owner);
    }
    const virtualHosts = part.hosts.map((h) =>
      h.host !== undefined ? { name: h.name, text: JSON.stringify(h.host) } : { name: h.name, text: oldHosts.get(h.name) as Buffer, digest: known.hostDigests.get(h.name) },
    );
    this.updated++;
    if (!change.clusters.empty) this.updatedForRules++;
    return entryOf(registry, visible, part.warnings(), virtualHosts, clusters, { hostClusters, hostDomains, clusterHttp2, clusterHosts });
  }

  /** The workloads whose mTLS mode change can show in clusters, worked out once per change for every class. */
  private peerEffect(registry: RegistrySnapshot, before: readonly Resource[], after: readonly Resource[]): ReadonlySet<string> {
    const was = before.filter((r) => r.kind === 'PeerAuthentication');
    const is = after.filter((r) => r.kind === 'PeerAuthentication');
    const last = this.lastPeerEffect;
    if (last !== undefined && last.registry === registry && sameItems(last.was, was) && sameItems(last.is, is)) return last.affected;
    const affected = affectedWorkloads(registry, was, is, this.mesh.rootNamespace);
    this.lastPeerEffect = { registry, was, is, affected };
    return affected;
  }
}

const NO_WORKLOADS: ReadonlySet<string> = new Set();

/**
 * The names of `wanted` in `compare` order, from the last part's entries (already in that order)
 * merged with the few new names: no sort of a thousand names per update.
 */
function sortedNames(last: readonly LayoutEntry[], wanted: ReadonlyMap<string, unknown>): string[] {
  const kept: string[] = [];
  const seen = new Set<string>();
  for (const e of last) {
    seen.add(e.name);
    if (wanted.has(e.name)) kept.push(e.name);
  }
  const added = [...wanted.keys()].filter((n) => !seen.has(n)).sort(compare);
  if (added.length === 0) return kept;
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < kept.length || j < added.length) {
    if (j >= added.length || (i < kept.length && compare(kept[i], added[j]) < 0)) out.push(kept[i++]);
    else out.push(added[j++]);
  }
  return out;
}

/** Whether a cluster (of the service its name ends with) may get another mTLS setting. */
function peersOf(registry: RegistrySnapshot, affected: ReadonlySet<string>, catalog: Catalog, cluster: string): boolean {
  const host = cluster.slice(cluster.lastIndexOf('|') + 1);
  const service = catalog.lookup(host);
  return service !== undefined && service.fqdn === host && peersConcern(registry, affected, service);
}

/** Each cluster's http2 bit ORed over the virtual hosts naming it. */
function http2Of(hosts: Iterable<ReadonlyMap<string, boolean>>): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const clusters of hosts) for (const [name, http2] of clusters) out.set(name, (out.get(name) ?? false) || http2);
  return out;
}

// Every name of the registry's services: a ServiceEntry host among them can shadow a short name
// in lookups, which the attribution leaves to the full computation.
const hostnamesByRegistry = new WeakMap<RegistrySnapshot, ReadonlySet<string>>();
function registryHostnames(registry: RegistrySnapshot): ReadonlySet<string> {
  let names = hostnamesByRegistry.get(registry);
  if (names === undefined) hostnamesByRegistry.set(registry, (names = new Set(registry.services.flatMap((s) => s.hostnames.map((h) => h.toLowerCase())))));
  return names;
}

/** What the cache records of a part about which virtual host needs what. */
type Recorded = Pick<ClassEntry, 'hostClusters' | 'hostDomains' | 'clusterHttp2' | 'clusterHosts'>;

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
  const hostDigests = digestsOf(virtualHosts);
  const clusterDigests = digestsOf(clusters);
  const listed = (digests: Map<string, string>) => Array.from(digests, ([name, d]) => `${name}\0${d}`).join('\n');
  const digest = createHash('sha256').update(listed(hostDigests)).update('\0\0').update(listed(clusterDigests)).digest('hex');
  return { registry, visible, warnings, routeConfigJson, clustersJson, digest, hostDigests, clusterDigests, routePiece, clustersPiece: { entries }, ...recorded };
}

/** Each item's hash by name, in order: the one it carries (its text unchanged), else its text's. */
function digestsOf(items: readonly Named[]): Map<string, string> {
  return new Map(items.map((item) => [item.name, item.digest ?? createHash('sha256').update(item.text).digest('base64')]));
}

/** An entry's name and JSON text, with its hash when known. */
interface Named {
  readonly name: string;
  readonly text: string | Buffer;
  readonly digest?: string | undefined;
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
  // Reused texts are views into the last part's Buffer, mostly one after another with their comma
  // between: copied as one run each rather than one copy per entry (thousands per update).
  let run: { buffer: ArrayBufferLike; start: number; end: number } | undefined;
  const flush = () => {
    if (run !== undefined) parts.push(Buffer.from(run.buffer, run.start, run.end - run.start));
  };
  for (const [i, text] of texts.entries()) {
    if (run !== undefined && text.buffer === run.buffer && text.byteOffset === run.end + 1 && new Uint8Array(run.buffer, run.end, 1)[0] === COMMA[0]) {
      run.end = text.byteOffset + text.length;
      continue;
    }
    flush();
    if (i > 0) parts.push(COMMA);
    run = { buffer: text.buffer, start: text.byteOffset, end: text.byteOffset + text.length };
  }
  flush();
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
