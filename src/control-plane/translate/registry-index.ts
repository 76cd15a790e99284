// Lookups by key in a registry snapshot. Snapshots are immutable and shared by every proxy's
// translation, so each index is built once per snapshot; a linear scan per proxy is quadratic
// when thousands of sidecars are translated against one snapshot.
import type { RegistrySnapshot, Service, Workload } from '../registry/types.js';

interface Index {
  readonly workloads: ReadonlyMap<string, Workload>;
  readonly services: ReadonlyMap<string, Service>;
}

const indexes = new WeakMap<RegistrySnapshot, Index>();

function indexOf(registry: RegistrySnapshot): Index {
  let index = indexes.get(registry);
  if (index === undefined) {
    const workloads = new Map<string, Workload>();
    // First one wins, as Array.find would.
    for (const w of registry.workloads) if (!workloads.has(w.id)) workloads.set(w.id, w);
    const services = new Map<string, Service>();
    for (const s of registry.services) if (!services.has(`${s.namespace}/${s.name}`)) services.set(`${s.namespace}/${s.name}`, s);
    indexes.set(registry, (index = { workloads, services }));
  }
  return index;
}

export function workloadById(registry: RegistrySnapshot, id: string): Workload | undefined {
  return indexOf(registry).workloads.get(id);
}

export function serviceByName(registry: RegistrySnapshot, namespace: string, name: string): Service | undefined {
  return indexOf(registry).services.get(`${namespace}/${name}`);
}
