// The in-memory registry local mode fills: services from the mesh file, workloads as their
// proxies connect (and leave). The Kubernetes source will implement the same RegistrySource.
//
// list() builds a frozen, sorted RegistrySnapshot after a change, once, however many changes came
// before it (thousands of proxies registering must not sort thousands of times); two calls without
// a change in between return the same object. A write that changes nothing (a proxy
// reconnecting with the same data) notifies no one, so it causes no push.
import { DEFAULT_CLUSTER_DOMAIN, serviceHostnames } from './hostnames.js';
import type { RegistrySnapshot, RegistrySource, Service, ServicePort, Workload } from './types.js';

export interface ServiceDefinition {
  name: string;
  /** Default "default", as for resources. */
  namespace?: string;
  ports: readonly ServicePort[];
}

export interface WorkloadRegistration {
  id: string;
  service: string;
  namespace?: string;
  /** Default: the service name (as the mesh file defaults it). */
  serviceAccount?: string;
  /** `app: <service>` is added when missing, as on a pod of that service. */
  labels?: Readonly<Record<string, string>>;
  address: string;
  inboundPort: number;
  appPort: number;
  /** Default true. */
  healthy?: boolean;
  locality?: string;
}

export interface MemoryRegistryOptions {
  /** DNS domain of the service host names. Default cluster.local. */
  clusterDomain?: string;
}

type Listener = () => void;

export class MemoryRegistry implements RegistrySource {
  private readonly clusterDomain: string;
  private readonly services = new Map<string, Service>();
  private readonly workloads = new Map<string, Workload>();
  private readonly listeners = new Set<Listener>();
  private snapshot: RegistrySnapshot | undefined;

  constructor(options: MemoryRegistryOptions = {}) {
    this.clusterDomain = options.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  }

  list(): RegistrySnapshot {
    if (this.snapshot === undefined) {
      const byKey = <T>(map: Map<string, T>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
      this.snapshot = Object.freeze({ services: Object.freeze(byKey(this.services)), workloads: Object.freeze(byKey(this.workloads)) });
    }
    return this.snapshot;
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Adds or replaces a service. Throws a RangeError on an invalid definition. */
  upsertService(def: ServiceDefinition): void {
    const namespace = def.namespace ?? 'default';
    requireName('service name', def.name);
    requireName('service namespace', namespace);
    const seen = new Set<number>();
    for (const p of def.ports) {
      requirePort(`service ${namespace}/${def.name} port`, p.port);
      if (seen.has(p.port)) throw new RangeError(`service ${namespace}/${def.name}: port ${p.port} is listed twice`);
      seen.add(p.port);
    }
    const ports = [...def.ports].sort((a, b) => a.port - b.port).map((p) => freezeClean({ port: p.port, name: p.name, protocol: p.protocol }));
    const service: Service = freezeClean({
      name: def.name,
      namespace,
      ports: Object.freeze(ports),
      hostnames: Object.freeze(serviceHostnames(def.name, namespace, this.clusterDomain)),
    });
    this.put(this.services, `${namespace}/${def.name}`, service);
  }

  removeService(namespace: string, name: string): boolean {
    return this.remove(this.services, `${namespace}/${name}`);
  }

  /** Adds or replaces a workload (a proxy that reconnects registers again). Throws a RangeError on invalid data. */
  registerWorkload(reg: WorkloadRegistration): void {
    requireName('workload id', reg.id);
    requireName(`workload ${reg.id} service`, reg.service);
    requireName(`workload ${reg.id} address`, reg.address);
    requirePort(`workload ${reg.id} inboundPort`, reg.inboundPort);
    requirePort(`workload ${reg.id} appPort`, reg.appPort);
    const labels: Record<string, string> = { app: reg.service, ...reg.labels };
    const workload: Workload = freezeClean({
      id: reg.id,
      service: reg.service,
      namespace: reg.namespace ?? 'default',
      serviceAccount: reg.serviceAccount ?? reg.service,
      labels: Object.freeze(sortedRecord(labels)),
      address: reg.address,
      inboundPort: reg.inboundPort,
      appPort: reg.appPort,
      healthy: reg.healthy ?? true,
      locality: reg.locality,
    });
    this.put(this.workloads, reg.id, workload);
  }

  deregisterWorkload(id: string): boolean {
    return this.remove(this.workloads, id);
  }

  /** Marks a workload healthy or not (health checks, a proxy that reports draining). */
  setWorkloadHealth(id: string, healthy: boolean): boolean {
    const w = this.workloads.get(id);
    if (w === undefined || w.healthy === healthy) return false;
    this.put(this.workloads, id, Object.freeze({ ...w, healthy }));
    return true;
  }

  private put<T>(map: Map<string, T>, key: string, value: T): void {
    const old = map.get(key);
    if (old !== undefined && JSON.stringify(old) === JSON.stringify(value)) return;
    map.set(key, value);
    this.changed();
  }

  private remove<T>(map: Map<string, T>, key: string): boolean {
    if (!map.delete(key)) return false;
    this.changed();
    return true;
  }

  private changed(): void {
    this.snapshot = undefined;
    // Every listener hears about the change even if an earlier one throws; the first error is
    // then rethrown to the writer, since a failing listener is a bug to surface, not to hide.
    let failure: { error: unknown } | undefined;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}

function requireName(what: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new RangeError(`${what} must be a non-empty string`);
}

function requirePort(what: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`${what} must be an integer from 1 to 65535 (got ${port})`);
}

/** Frozen, without undefined fields, so snapshots compare and serialize the same however built. */
function freezeClean<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return Object.freeze(value);
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
