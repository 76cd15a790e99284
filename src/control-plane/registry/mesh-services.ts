// The services a mesh file (kind Mesh) declares, as registry definitions. Local mode registers
// these at start; their workloads join as their proxies connect.
import { DEFAULT_NAMESPACE } from '../../api/meta.js';
import type { Mesh } from '../../api/mesh.js';
import type { ServiceDefinition } from './memory.js';

export function servicesFromMesh(mesh: Mesh): ServiceDefinition[] {
  return mesh.spec.services.map((s) => ({
    name: s.name,
    // As checkMesh reads it: a service without a namespace is in "default", whatever the Mesh's own.
    namespace: s.namespace ?? DEFAULT_NAMESPACE,
    ports: [{ port: s.port, ...(s.protocol !== undefined ? { protocol: s.protocol } : {}) }],
  }));
}
