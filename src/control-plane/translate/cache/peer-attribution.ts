// Which clusters' mTLS a PeerAuthentication change can alter, for the snapshot cache.
//
// A PeerAuthentication is read on the outbound side only by MeshTls.forCluster (mesh-tls.ts),
// through the modes of the workloads behind a cluster. Its result, and its warnings, depend on
// which of them are DISABLE and, only when some are, on whether any is STRICT: without a DISABLE
// workload, PERMISSIVE and STRICT give the same mTLS (the service's identities). A service's
// workloads are all in one namespace (the service's, or the ServiceEntry's for the workloads it
// selects). So a cluster can differ only when one of its service's workloads changed mode and its
// namespace holds a workload that is DISABLE before or after: those workloads are `affected`.
// Modes do not depend on the client's namespace, so this is worked out once per change for every
// class of proxies.
import type { Resource } from '../../../api/kinds.js';
import type { RegistrySnapshot } from '../../registry/types.js';
import type { CatalogService } from '../catalog.js';
import { serviceWorkloads } from '../endpoints.js';
import { PeerAuthentications } from '../peer-authentication.js';
import { indexResources } from '../resources.js';

/** The workloads (ids) whose mode change can show in a cluster. */
export function affectedWorkloads(registry: RegistrySnapshot, before: readonly Resource[], after: readonly Resource[], rootNamespace: string): ReadonlySet<string> {
  const was = new PeerAuthentications(indexResources(before).peerAuthentications, rootNamespace);
  const is = new PeerAuthentications(indexResources(after).peerAuthentications, rootNamespace);
  const changed: string[] = [];
  const disabling = new Set<string>();
  const namespaceOf = new Map<string, string>();
  for (const w of registry.workloads) {
    const a = was.modeFor(w);
    const b = is.modeFor(w);
    if (a !== b) {
      changed.push(w.id);
      namespaceOf.set(w.id, w.namespace);
    }
    if (a === 'DISABLE' || b === 'DISABLE') disabling.add(w.namespace);
  }
  return new Set(changed.filter((id) => disabling.has(namespaceOf.get(id) as string)));
}

/** Whether a service's clusters may get another mTLS setting. */
export function peersConcern(registry: RegistrySnapshot, affected: ReadonlySet<string>, service: CatalogService): boolean {
  if (affected.size === 0) return false;
  return (serviceWorkloads(registry, service) ?? []).some((w) => affected.has(w.id));
}
