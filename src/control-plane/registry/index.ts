// The service registry: services, workloads and the source interface translate reads them from.
export type { RegistrySnapshot, RegistrySource, Service, ServicePort, ServiceProtocol, Workload } from './types.js';
export { DEFAULT_CLUSTER_DOMAIN, serviceFqdn, serviceHostnames } from './hostnames.js';
export { MemoryRegistry, type MemoryRegistryOptions, type ServiceDefinition, type WorkloadRegistration } from './memory.js';
export { servicesFromMesh } from './mesh-services.js';
