// What the files declare exists: services and workloads of the Mesh, hosts of ServiceEntries.
// References are checked against this, as translate will resolve them once the mesh runs.
import type { Mesh } from '../../api/mesh.js';
import { DEFAULT_NAMESPACE } from '../../api/meta.js';
import type { ServiceEntry } from '../../api/service-entry.js';
import { serviceHostnames } from '../registry/hostnames.js';
import { resolveHost } from '../translate/hosts.js';
import { selects } from '../translate/visibility.js';
import type { Located } from './types.js';

export interface MeshWorkload {
  /** As maille run names the first replica's proxy: `reviews-v1-0`. */
  readonly id: string;
  readonly service: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly port: number;
  readonly replicas: number;
}

export interface MeshServiceInfo {
  readonly name: string;
  readonly namespace: string;
  readonly fqdn: string;
  readonly hostnames: readonly string[];
  readonly workloads: readonly MeshWorkload[];
}

export type Target = { readonly kind: 'service'; readonly service: MeshServiceInfo } | { readonly kind: 'entry'; readonly entry: Located<ServiceEntry>; readonly host: string };

export class World {
  readonly services: MeshServiceInfo[] = [];
  readonly workloads: MeshWorkload[] = [];
  private readonly byName = new Map<string, Target>();

  /**
   * @param known false when there is no Mesh (or a Mesh failed validation): what exists is then
   *   unknown, and checks that would call everything missing stand down.
   */
  constructor(
    meshes: readonly Located<Mesh>[],
    entries: readonly Located<ServiceEntry>[],
    readonly known: boolean,
  ) {
    for (const { resource: mesh } of meshes) {
      for (const s of mesh.spec.services) {
        const namespace = s.namespace ?? DEFAULT_NAMESPACE;
        const workloads = (s.workloads ?? []).map((w) => ({
          id: `${s.name}-${w.version ?? 'v0'}-0`,
          service: s.name,
          namespace,
          serviceAccount: s.serviceAccount ?? s.name,
          labels: { app: s.name, ...(w.version ? { version: w.version } : {}), ...(w.labels ?? {}) },
          port: s.port,
          replicas: w.replicas ?? 1,
        }));
        const hostnames = serviceHostnames(s.name, namespace);
        const info: MeshServiceInfo = { name: s.name, namespace, fqdn: hostnames[hostnames.length - 1], hostnames, workloads };
        this.services.push(info);
        this.workloads.push(...workloads);
        for (const h of hostnames) if (!this.byName.has(h)) this.byName.set(h, { kind: 'service', service: info });
      }
    }
    for (const entry of entries) {
      for (const raw of entry.resource.spec.hosts) {
        const host = raw.toLowerCase();
        if (!this.byName.has(host)) this.byName.set(host, { kind: 'entry', entry, host });
      }
    }
  }

  /** What a host written in a resource of `namespace` names, as translate resolves it (exact names only). */
  lookup(host: string, namespace: string): Target | undefined {
    return this.byName.get(resolveHost(host, namespace));
  }

  /** Names a typo may have meant: short names in `namespace`, and every name with a dot. */
  names(namespace: string): string[] {
    return [...this.byName.entries()].filter(([h, t]) => h.includes('.') || (t.kind === 'service' && t.service.namespace === namespace)).map(([h]) => h);
  }

  /** Workloads a selector picks in `namespace` (every namespace when undefined). */
  selected(matchLabels: Readonly<Record<string, string>>, namespace: string | undefined): MeshWorkload[] {
    return this.workloads.filter((w) => (namespace === undefined || w.namespace === namespace) && selects(matchLabels, w.labels));
  }

  namespaces(): Set<string> {
    return new Set([...this.services.map((s) => s.namespace)]);
  }
}

/** `app=reviews, version=v1` for messages. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}
