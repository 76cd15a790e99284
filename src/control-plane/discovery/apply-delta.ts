// The proxy's side of delta.ts: the snapshot it holds plus a delta gives the new snapshot, which
// is then validated and applied exactly like a full one. Unchanged entries are the base's own
// objects (shared, never mutated); the base itself is left as it was.
//
// Anything that does not fit (a patch of an entry the base lacks, a new entry without the new
// order, a base with duplicate names) throws: the proxy NACKs, and the control plane answers with
// a full snapshot.

type Json = Record<string, unknown>;

/** `delta` (the message's `delta` member, unchecked) applied to `base` (the snapshot held, unchecked). */
export function applyDelta(base: unknown, delta: unknown): Json {
  if (!isObject(base)) throw new Error('delta: the snapshot held is not an object');
  if (!isObject(delta)) throw new Error('delta: not an object');
  const out: Json = { ...base };
  const unset = delta.unset ?? [];
  if (!Array.isArray(unset) || !unset.every((k) => typeof k === 'string')) throw new Error('delta.unset: not a list of names');
  for (const key of unset) delete out[key];
  const set = delta.set ?? {};
  if (!isObject(set)) throw new Error('delta.set: not an object');
  Object.assign(out, set);
  const collections = delta.collections ?? {};
  if (!isObject(collections)) throw new Error('delta.collections: not an object');
  for (const [key, change] of Object.entries(collections)) {
    out[key] = applyCollection(base[key] ?? [], change, `delta.collections.${key}`);
  }
  return out;
}

function applyCollection(base: unknown, change: unknown, path: string): Json[] {
  if (!Array.isArray(base)) throw new Error(`${path}: the snapshot held has no list here`);
  if (!isObject(change)) throw new Error(`${path}: not an object`);
  const byName = new Map<string, Json>();
  for (const [i, entry] of base.entries()) {
    const name = nameOf(entry, `${path} (held entry ${i})`);
    if (byName.has(name)) throw new Error(`${path}: the snapshot held has two entries named "${name}"`);
    byName.set(name, entry as Json);
  }
  const touched: string[] = [];
  for (const [i, entry] of list(change.put, `${path}.put`).entries()) {
    const name = nameOf(entry, `${path}.put[${i}]`);
    byName.set(name, entry as Json);
    touched.push(name);
  }
  for (const [i, p] of list(change.patch, `${path}.patch`).entries()) {
    const name = nameOf(p, `${path}.patch[${i}]`);
    const held = byName.get(name);
    if (held === undefined) throw new Error(`${path}.patch[${i}]: no entry "${name}" to patch`);
    byName.set(name, { ...held, virtualHosts: applyCollection(held.virtualHosts, (p as Json).virtualHosts, `${path}.patch[${i}].virtualHosts`) });
    touched.push(name);
  }
  if (change.names === undefined && (change.removed !== undefined || change.added !== undefined)) {
    return reordered(base, byName, change, touched, path);
  }
  if (change.names === undefined) {
    const known = new Set(base.map((e) => (e as Json).name));
    const added = touched.find((n) => !known.has(n));
    if (added !== undefined) throw new Error(`${path}: adds "${added}" without the new order (names)`);
    return base.map((e) => byName.get((e as Json).name as string) as Json);
  }
  return list(change.names, `${path}.names`).map((n, i) => {
    const entry = typeof n === 'string' ? byName.get(n) : undefined;
    if (entry === undefined) throw new Error(`${path}.names[${i}]: no entry named ${JSON.stringify(n)}`);
    return entry;
  });
}

/** The held order with `removed` dropped and `added` inserted at their (ascending) new indexes. */
function reordered(base: readonly unknown[], byName: ReadonlyMap<string, Json>, change: Json, touched: readonly string[], path: string): Json[] {
  const gone = new Set(
    list(change.removed, `${path}.removed`).map((n, i) => {
      if (typeof n !== 'string') throw new Error(`${path}.removed[${i}]: not a name`);
      return n;
    }),
  );
  const order = base.map((e) => (e as Json).name as string).filter((n) => !gone.has(n));
  let last = -1;
  for (const [i, item] of list(change.added, `${path}.added`).entries()) {
    if (!Array.isArray(item) || item.length !== 2 || !Number.isInteger(item[0]) || typeof item[1] !== 'string') throw new Error(`${path}.added[${i}]: not [index, name]`);
    const [at, name] = item as [number, string];
    if (at <= last || at > order.length) throw new Error(`${path}.added[${i}]: index ${at} out of order or beyond the list`);
    order.splice(at, 0, name);
    last = at;
  }
  const listed = new Set(order);
  const missing = touched.find((n) => !listed.has(n));
  if (missing !== undefined) throw new Error(`${path}: puts "${missing}", which the new order does not list`);
  return order.map((n, i) => {
    const entry = byName.get(n);
    if (entry === undefined) throw new Error(`${path}.added: no entry named ${JSON.stringify(n)} (new order, index ${i})`);
    return entry;
  });
}

function list(value: unknown, path: string): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${path}: not a list`);
  return value;
}

function nameOf(entry: unknown, path: string): string {
  if (!isObject(entry) || typeof entry.name !== 'string') throw new Error(`${path}: an entry without a name`);
  return entry.name;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
