// The difference between two snapshots, as the `delta` member of a delta message (protocol.ts):
//
//   {"set":{"version":"…",…},          top-level members that changed or appeared, whole
//    "unset":["drainTimeoutMs",…],      top-level members (or whole collections) that are gone
//    "collections":{"clusters":{        per collection that changed:
//       "names":["a","b",…],              its names in their new order — only when the set or the order changed,
//       "removed":["c",…],                or, when the entries kept keep their order and few come or go,
//       "added":[[3,"d"],…],                the names gone and the names new with their index in the new
//                                           order, ascending (a ServiceEntry added to a mesh of 1,000
//                                           services costs two names, not two lists of a thousand)
//       "put":[{…entry…},…],              entries that changed or are new, whole
//       "patch":[{"name":"outbound","virtualHosts":{…same shape…}}]}}}
//                                         route tables whose virtual hosts changed: those hosts only
//
// The proxy rebuilds the new snapshot from the one it holds (apply-delta.ts), and the result is the
// snapshot a full push would have carried (delta.test.ts checks that property).
//
// Cost at scale. Two pieces (layout.ts) are compared once, and the result (with its JSON text) is
// kept for every proxy making the same move: 2,000 proxies in 20 classes moving to a new outbound
// part cost 20 comparisons, not 2,000. The memo is keyed by the piece objects (weakly), so it goes
// away with them.
import type { LayoutEntry, LayoutPiece, SnapshotLayout } from './layout.js';

interface PieceIndex {
  readonly byName: ReadonlyMap<string, LayoutEntry>;
  /** Duplicate names cannot be addressed by name: such a piece is never sent as a delta. */
  readonly unique: boolean;
}

interface PieceDiff {
  readonly namesChanged: boolean;
  /**
   * When the names changed: the names gone and the new ones with their index in the piece's new
   * order, or null when the entries kept are not in the same order (then only `names` will do).
   */
  readonly edit: OrderEdit | null;
  /** JSON of the entries to put, comma-separated ('' when none). */
  readonly put: Buffer;
  /** JSON of the patches, comma-separated ('' when none). */
  readonly patch: Buffer;
}

interface OrderEdit {
  readonly removed: readonly string[];
  readonly added: readonly (readonly [number, string])[];
}

const indexes = new WeakMap<LayoutPiece, PieceIndex>();
const namesJsons = new WeakMap<LayoutPiece, string>();
const diffs = new WeakMap<LayoutPiece, WeakMap<LayoutPiece, PieceDiff | null>>();
const COMMA = Buffer.from(',');
const EMPTY = Buffer.alloc(0);

/**
 * The `delta` member's JSON text (in pieces, shared ones as they are) that turns `base` into
 * `next`, or undefined when a delta cannot express it (duplicate names).
 */
export function encodeDelta(base: SnapshotLayout, next: SnapshotLayout): Uint8Array[] | undefined {
  const set: string[] = [];
  const unset: string[] = [];
  for (const [key, json] of Object.entries(next.scalars)) if (base.scalars[key] !== json) set.push(`${JSON.stringify(key)}:${json}`);
  for (const key of Object.keys(base.scalars)) if (!(key in next.scalars)) unset.push(JSON.stringify(key));
  for (const key of Object.keys(base.collections)) if (!(key in next.collections)) unset.push(JSON.stringify(key));

  const collections: Uint8Array[] = [];
  for (const [key, pieces] of Object.entries(next.collections)) {
    const body = collectionDelta(base.collections[key] ?? [], pieces);
    if (body === undefined) return undefined;
    if (body.length === 0) continue;
    collections.push(Buffer.from(`${collections.length > 0 ? ',' : ''}${JSON.stringify(key)}:`), ...body);
  }
  const out: Uint8Array[] = [Buffer.from(`{"set":{${set.join(',')}}`)];
  if (unset.length > 0) out.push(Buffer.from(`,"unset":[${unset.join(',')}]`));
  out.push(Buffer.from(',"collections":{'), ...collections, Buffer.from('}}'));
  return out;
}

/** One collection's delta object in pieces; [] when nothing changed; undefined when not expressible. */
function collectionDelta(before: readonly LayoutPiece[], after: readonly LayoutPiece[]): Uint8Array[] | undefined {
  let parts: PieceDiff[];
  // The order edit of the whole collection, pieces' edits shifted by the entries before them;
  // null when some piece's kept entries moved.
  let edit: { removed: string[]; added: (readonly [number, string])[] } | null = { removed: [], added: [] };
  if (before.length === after.length) {
    parts = [];
    let offset = 0;
    for (let i = 0; i < after.length; i++) {
      if (before[i] === after[i]) {
        if (!index(after[i]).unique) return undefined;
        offset += after[i].entries.length;
        continue;
      }
      const d = diffPieces(before[i], after[i]);
      if (d === null) return undefined;
      parts.push(d);
      if (d.namesChanged && edit !== null) {
        if (d.edit === null) edit = null;
        else {
          edit.removed.push(...d.edit.removed);
          for (const [at, name] of d.edit.added) edit.added.push([offset + at, name]);
        }
      }
      offset += after[i].entries.length;
    }
  } else {
    // The pieces do not line up (a provider changed how it splits): compare the whole collection.
    const d = diffEntries(joined(before), joined(after));
    if (d === null) return undefined;
    parts = [{ ...d, namesChanged: true }];
    edit = d.edit === null ? null : { removed: [...d.edit.removed], added: [...d.edit.added] };
  }
  const namesChanged = parts.some((d) => d.namesChanged);
  const put = parts.map((d) => d.put).filter((b) => b.length > 0);
  const patch = parts.map((d) => d.patch).filter((b) => b.length > 0);
  if (!namesChanged && put.length === 0 && patch.length === 0) return [];
  const members: Uint8Array[][] = [];
  const total = after.reduce((n, p) => n + p.entries.length, 0);
  if (namesChanged && edit !== null && 4 * (edit.removed.length + edit.added.length) < total) {
    const removed = edit.removed.map((n) => JSON.stringify(n)).join(',');
    const added = edit.added.map(([at, n]) => `[${at},${JSON.stringify(n)}]`).join(',');
    members.push([Buffer.from(`"removed":[${removed}],"added":[${added}]`)]);
  } else if (namesChanged) members.push([Buffer.from(`"names":[${after.map(namesJson).filter((n) => n !== '').join(',')}]`)]);
  if (put.length > 0) members.push([Buffer.from('"put":['), ...interleave(put), Buffer.from(']')]);
  if (patch.length > 0) members.push([Buffer.from('"patch":['), ...interleave(patch), Buffer.from(']')]);
  // Not concatenated: the put and patch texts are shared by every proxy making the same move, and
  // a copy per proxy (tens of kilobytes each, for 2,000 proxies) is what a push would cost most.
  const out: Uint8Array[] = [Buffer.from('{')];
  members.forEach((m, i) => {
    if (i > 0) out.push(COMMA);
    out.push(...m);
  });
  out.push(Buffer.from('}'));
  return out;
}

function diffPieces(before: LayoutPiece, after: LayoutPiece): PieceDiff | null {
  let byAfter = diffs.get(before);
  if (byAfter === undefined) diffs.set(before, (byAfter = new WeakMap()));
  let d = byAfter.get(after);
  if (d === undefined) byAfter.set(after, (d = diffEntries(before, after)));
  return d;
}

function diffEntries(before: LayoutPiece, after: LayoutPiece): PieceDiff | null {
  const old = index(before);
  if (!old.unique || !index(after).unique) return null;
  let namesChanged = before.entries.length !== after.entries.length;
  const put: Uint8Array[] = [];
  const patch: Uint8Array[] = [];
  for (const [i, entry] of after.entries.entries()) {
    if (!namesChanged && before.entries[i].name !== entry.name) namesChanged = true;
    const was = old.byName.get(entry.name);
    if (was !== undefined && sameBytes(was.json, entry.json)) continue;
    if (was?.virtualHosts !== undefined && entry.virtualHosts !== undefined) {
      const hosts = collectionDelta([was.virtualHosts], [entry.virtualHosts]);
      if (hosts !== undefined) {
        const text = Buffer.concat([Buffer.from(`{"name":${JSON.stringify(entry.name)},"virtualHosts":`), ...hosts, Buffer.from('}')]);
        if (text.length < entry.json.length) {
          patch.push(text);
          continue;
        }
      }
    }
    put.push(entry.json);
  }
  return { namesChanged, edit: namesChanged ? orderEdit(before, after, old, index(after)) : null, put: join(put), patch: join(patch) };
}

/** The names gone and the names new (with their index in `after`), or null when the kept entries moved. */
function orderEdit(before: LayoutPiece, after: LayoutPiece, old: PieceIndex, next: PieceIndex): OrderEdit | null {
  const removed = before.entries.filter((e) => !next.byName.has(e.name)).map((e) => e.name);
  const added: [number, string][] = [];
  const kept: string[] = [];
  after.entries.forEach((e, i) => {
    if (old.byName.has(e.name)) kept.push(e.name);
    else added.push([i, e.name]);
  });
  let k = 0;
  for (const e of before.entries) if (next.byName.has(e.name) && kept[k++] !== e.name) return null;
  return { removed, added };
}

function index(piece: LayoutPiece): PieceIndex {
  let idx = indexes.get(piece);
  if (idx === undefined) {
    const byName = new Map<string, LayoutEntry>();
    for (const e of piece.entries) byName.set(e.name, e);
    idx = { byName, unique: byName.size === piece.entries.length };
    indexes.set(piece, idx);
  }
  return idx;
}

/** The piece's names as JSON array members, without the brackets (needed only when names change). */
function namesJson(piece: LayoutPiece): string {
  let names = namesJsons.get(piece);
  if (names === undefined) namesJsons.set(piece, (names = piece.entries.map((e) => JSON.stringify(e.name)).join(',')));
  return names;
}

function joined(pieces: readonly LayoutPiece[]): LayoutPiece {
  return pieces.length === 1 ? pieces[0] : { entries: pieces.flatMap((p) => p.entries) };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a === b || Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function join(buffers: readonly Uint8Array[]): Buffer {
  return buffers.length === 0 ? EMPTY : Buffer.concat(interleave(buffers));
}

function interleave(buffers: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const [i, b] of buffers.entries()) {
    if (i > 0) out.push(COMMA);
    out.push(b);
  }
  return out;
}
