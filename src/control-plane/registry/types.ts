// The service registry's data: what services exist and which workloads back them.
//
// translate reads a RegistrySnapshot and nothing else about the world, so every source (local
// mode's in-memory registry today, Kubernetes Services/EndpointSlices/Pods later) produces this
// same shape and translate never learns where it came from.

/** How callers speak to a service port. Omitted: detected from the first bytes (DESIGN §3). */
export type ServiceProtocol = 'http' | 'http2' | 'grpc' | 'tcp';

export interface ServicePort {
  /** The port callers use (`http://reviews:9080`). */
  readonly port: number;
  /** Kubernetes-style port name; Gateway API sectionName and ServiceEntry endpoints refer to it. */
  readonly name?: string;
  readonly protocol?: ServiceProtocol;
}

export interface Service {
  readonly name: string;
  readonly namespace: string;
  /** Sorted by port number. */
  readonly ports: readonly ServicePort[];
  /**
   * The names callers may use, shortest first: `name`, `name.ns`, `name.ns.svc`,
   * `name.ns.svc.<cluster domain>`. The last one is the fully qualified name.
   */
  readonly hostnames: readonly string[];
}

export interface Workload {
  /** Unique in the mesh (local mode: the proxy's node id, e.g. `reviews-v1-0`). */
  readonly id: string;
  /** Name of the service it backs, in `namespace`. */
  readonly service: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Pod-style labels; `app` and `version` are what DestinationRule subsets usually select. */
  readonly labels: Readonly<Record<string, string>>;
  /** Where its sidecar is reachable (local mode: 127.0.0.1 or the netns address). */
  readonly address: string;
  /** Its sidecar's inbound listener: where other sidecars send this workload's traffic. */
  readonly inboundPort: number;
  /** Where the app itself listens (behind the sidecar, on loopback). */
  readonly appPort: number;
  /** false: known unhealthy; endpoints built from it are never picked. */
  readonly healthy: boolean;
  /** `region/zone/subzone`, when known. */
  readonly locality?: string;
}

/** A consistent view at one moment: services sorted by namespace/name, workloads by id. */
export interface RegistrySnapshot {
  readonly services: readonly Service[];
  readonly workloads: readonly Workload[];
}

/**
 * Where services and workloads come from. list() returns the same object until something
 * changes, so callers can compare snapshots by identity.
 */
export interface RegistrySource {
  list(): RegistrySnapshot;
  /**
   * Called after every change; read list() when ready (a burst of registrations is then one
   * snapshot, built once, e.g. after the discovery server's debounce). Returns an unsubscribe function.
   */
  onChange(listener: () => void): () => void;
}
