// The resource store: the configuration translate reads, in the order it must read it.
//
// Two layers share one ordered list. The mesh file's resources come first, in file order, and are
// read again on every start; resources applied through the API are persisted in
// `<stateDir>/resources.yaml` and win over a file resource with the same kind/namespace/name,
// taking its place in the order. Deleting an applied resource uncovers the file's version again,
// so `maille delete` undoes `maille apply` without editing the mesh file.
//
// Order matters: translate settles conflicts oldest first, so an update keeps its position and a
// new resource goes last, as Istio orders by creation time.
import { stringify } from 'yaml';
import type { Resource } from '../../api/kinds.js';
import { ConfigError, parseResources } from '../../api/load.js';
import { readStateFileIfExists, writeFileAtomic } from '../ca/state-files.js';
import { join } from 'node:path';

export const RESOURCES_FILE = 'resources.yaml';

export type ApplyAction = 'created' | 'configured' | 'unchanged';
export type Origin = 'file' | 'applied';

export interface ApplyOutcome {
  kind: string;
  namespace: string;
  name: string;
  action: ApplyAction;
}

export interface StoredResource {
  resource: Resource;
  origin: Origin;
}

export interface ResourceFilter {
  kind?: string;
  namespace?: string;
  name?: string;
}

/** Why a delete did nothing: absent (404) or only in the mesh file (409). */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: 'MAILLE_ERR_NOT_FOUND' | 'MAILLE_ERR_CONFLICT',
    message: string,
  ) {
    super(message);
  }
}

interface Entry {
  key: string;
  file?: Resource;
  applied?: Resource;
}

export function resourceKey(r: { kind: string; metadata: { namespace?: string; name: string } }): string {
  return `${r.kind}/${r.metadata.namespace ?? 'default'}/${r.metadata.name}`;
}

export interface OpenStoreOptions {
  stateDir: string;
  /** The mesh file's resources (validated, Mesh excluded), oldest first. */
  fileResources: readonly Resource[];
}

export class ResourceStore {
  private entries: Entry[];
  private readonly listeners = new Set<() => void>();
  // One change at a time: each writes the whole file, and must not interleave with another.
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: string,
    entries: Entry[],
  ) {
    this.entries = entries;
  }

  static async open(opts: OpenStoreOptions): Promise<ResourceStore> {
    const file = join(opts.stateDir, RESOURCES_FILE);
    const entries: Entry[] = [];
    const byKey = new Map<string, Entry>();
    for (const r of opts.fileResources) {
      const key = resourceKey(r);
      const seen = byKey.get(key);
      // The same resource twice in the mesh file: the later one wins, as a second apply would.
      if (seen) seen.file = r;
      else {
        const e = { key, file: r };
        byKey.set(key, e);
        entries.push(e);
      }
    }
    const text = await readStateFileIfExists(file);
    // A state file that no longer validates (hand-edited, or from another version) stops the start
    // with its problems: silently dropping applied configuration would be worse.
    const applied = text === undefined ? [] : parseResources(text, file);
    for (const r of applied) {
      const key = resourceKey(r);
      const seen = byKey.get(key);
      if (seen) seen.applied = r;
      else {
        const e = { key, applied: r };
        byKey.set(key, e);
        entries.push(e);
      }
    }
    return new ResourceStore(file, entries);
  }

  /** The resources translate reads, oldest first. */
  resources(): Resource[] {
    return this.entries.map((e) => (e.applied ?? e.file) as Resource);
  }

  list(filter: ResourceFilter = {}): StoredResource[] {
    return this.entries
      .map((e) => (e.applied ? { resource: e.applied, origin: 'applied' as const } : { resource: e.file as Resource, origin: 'file' as const }))
      .filter(({ resource: r }) => (filter.kind === undefined || r.kind === filter.kind) && (filter.namespace === undefined || r.metadata.namespace === filter.namespace) && (filter.name === undefined || r.metadata.name === filter.name));
  }

  /**
   * Applies validated resources (validateResource/parseResources output) all together: one write,
   * one change notification. Mesh is refused: it describes what `maille run` launches at start.
   */
  apply(resources: readonly Resource[], source = 'apply'): Promise<ApplyOutcome[]> {
    return this.serialized(async () => {
      const meshes = resources.filter((r) => r.kind === 'Mesh');
      if (meshes.length > 0) {
        throw new ConfigError(source, meshes.map((m) => `${source}: Mesh/${m.metadata.namespace}/${m.metadata.name}: a Mesh is read by maille run when it starts; edit the mesh file and restart instead`));
      }
      const next = this.entries.map((e) => ({ ...e }));
      const outcomes: ApplyOutcome[] = [];
      for (const r of resources) {
        const key = resourceKey(r);
        const at = next.find((e) => e.key === key);
        const outcome = { kind: r.kind, namespace: r.metadata.namespace ?? 'default', name: r.metadata.name };
        if (!at) {
          next.push({ key, applied: r });
          outcomes.push({ ...outcome, action: 'created' });
        } else if (canonical(at.applied ?? at.file) === canonical(r)) {
          outcomes.push({ ...outcome, action: 'unchanged' });
        } else {
          at.applied = r;
          outcomes.push({ ...outcome, action: 'configured' });
        }
      }
      if (outcomes.some((o) => o.action !== 'unchanged')) await this.commit(next);
      return outcomes;
    });
  }

  /** Removes an applied resource; the mesh file's version of it, if any, serves again. */
  delete(kind: string, namespace: string, name: string): Promise<StoredResource | undefined> {
    return this.serialized(async () => {
      const key = `${kind}/${namespace}/${name}`;
      const at = this.entries.find((e) => e.key === key);
      if (!at) throw new StoreError('MAILLE_ERR_NOT_FOUND', `${kind.toLowerCase()}/${namespace}/${name} not found`);
      if (!at.applied) {
        throw new StoreError('MAILLE_ERR_CONFLICT', `${kind.toLowerCase()}/${namespace}/${name} comes from the mesh file; remove it there and restart maille run`);
      }
      const next = this.entries.flatMap((e) => (e !== at ? [e] : e.file ? [{ key, file: e.file }] : []));
      await this.commit(next);
      return at.file ? { resource: at.file, origin: 'file' } : undefined;
    });
  }

  /** Called after every committed change; returns an unsubscribe function. */
  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Resolves once pending changes are on disk. */
  async flush(): Promise<void> {
    await this.queue.catch(() => {});
  }

  // Disk first, memory second: a failed write changes nothing, so memory never runs ahead of what
  // a restart would load.
  private async commit(next: Entry[]): Promise<void> {
    const applied = next.flatMap((e) => (e.applied ? [e.applied] : []));
    const header = '# Resources applied with maille apply; the control plane rewrites this file on every change.\n';
    const body = applied.map((r) => stringify(r).trimEnd()).join('\n---\n');
    await writeFileAtomic(this.file, header + (body ? `${body}\n` : ''));
    this.entries = next;
    for (const cb of this.listeners) cb();
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }
}

/** JSON with sorted keys: YAML key order must not make an unchanged resource look changed. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}
