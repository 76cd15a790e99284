// A snapshot's named entries, for delta pushes (delta.ts): which entries it holds, in which order,
// and each one's JSON text.
//
// Pieces are what makes deltas cheap for thousands of proxies. A provider that shares work between
// proxies (translate/cache/snapshot-cache.ts) hands every proxy of a class the *same* piece object
// for the shared part of a collection (the outbound clusters, the outbound route table). Each piece
// is indexed once, and the difference between two pieces is computed once and reused by every proxy
// moving from one to the other: per proxy, only the small per-workload pieces are compared.
import type { Snapshot } from '../../model/snapshot.js';

/** One named entry of a collection (a listener, a route table, a cluster, a virtual host). */
export interface LayoutEntry {
  readonly name: string;
  /** The entry's JSON text, exactly as it stands in the full snapshot's text. */
  readonly json: Buffer;
  /** Route tables: their virtual hosts, so that a change of one host sends that host only. */
  readonly virtualHosts?: LayoutPiece;
}

/** A run of consecutive entries of one collection. Same object: same content (never mutated). */
export interface LayoutPiece {
  readonly entries: readonly LayoutEntry[];
}

export interface SnapshotLayout {
  /** Top-level members that are not collections (version, trustBundlePem, …): their values' JSON text. */
  readonly scalars: Readonly<Record<string, string>>;
  /** Each collection present in the snapshot (listeners, routeConfigs, clusters): its entries, in pieces, in order. */
  readonly collections: Readonly<Record<string, readonly LayoutPiece[]>>;
}

/** The collections of a snapshot: arrays of entries named by their `name`, diffed entry by entry. */
export const COLLECTIONS = ['listeners', 'routeConfigs', 'clusters'] as const;

export const EMPTY_PIECE: LayoutPiece = Object.freeze({ entries: Object.freeze([]) });

/** The layout of a snapshot given as objects: one piece per collection (no sharing). */
export function layoutOf(snapshot: Snapshot): SnapshotLayout {
  const scalars: Record<string, string> = {};
  const collections: Record<string, readonly LayoutPiece[]> = {};
  for (const [key, value] of Object.entries(snapshot)) {
    if (value === undefined) continue;
    if ((COLLECTIONS as readonly string[]).includes(key)) {
      collections[key] = [pieceOf(value as readonly { name: string }[], key === 'routeConfigs')];
    } else {
      scalars[key] = JSON.stringify(value);
    }
  }
  return { scalars, collections };
}

/** A piece of entries given as objects; route tables also get their virtual hosts indexed. */
export function pieceOf(entries: readonly { name: string }[], routeTables = false): LayoutPiece {
  if (entries.length === 0) return EMPTY_PIECE;
  return {
    entries: entries.map((e) => {
      const json = Buffer.from(JSON.stringify(e));
      const hosts = routeTables ? (e as { virtualHosts?: readonly { name: string }[] }).virtualHosts : undefined;
      return hosts !== undefined ? { name: e.name, json, virtualHosts: pieceOf(hosts) } : { name: e.name, json };
    }),
  };
}

/**
 * The same layout with one more (or another) top-level member given as a value, e.g. the mesh's
 * trust bundle. The last value's JSON is kept per key, so a value pushed to thousands of proxies
 * is serialized once (and compared by identity in delta.ts).
 */
export function withScalar(layout: SnapshotLayout, key: string, value: unknown): SnapshotLayout {
  let last = scalarJson.get(key);
  if (last === undefined || last.value !== value) scalarJson.set(key, (last = { value, json: JSON.stringify(value) }));
  return { scalars: { ...layout.scalars, [key]: last.json }, collections: layout.collections };
}
const scalarJson = new Map<string, { value: unknown; json: string }>();

/** The snapshot a layout describes, as objects (tests, and checks of a provider's layout). */
export function snapshotOfLayout(layout: SnapshotLayout): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, json] of Object.entries(layout.scalars)) out[key] = JSON.parse(json);
  for (const [key, pieces] of Object.entries(layout.collections)) {
    out[key] = pieces.flatMap((p) => p.entries.map((e) => JSON.parse(e.json.toString('utf8')) as unknown));
  }
  return out;
}
