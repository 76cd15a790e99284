// The resources translate reads, by kind, each with its age (position in the input: the input is
// oldest first), because Istio settles conflicts by age.
import type { Resource } from '../../api/kinds.js';
import type { DestinationRule } from '../../api/destination-rule.js';
import type { GRPCRoute } from '../../api/grpc-route.js';
import type { HTTPRoute } from '../../api/http-route.js';
import type { Gateway } from '../../api/istio-gateway.js';
import type { PeerAuthentication } from '../../api/peer-authentication.js';
import type { ServiceEntry } from '../../api/service-entry.js';
import type { VirtualService } from '../../api/virtual-service.js';

export interface Aged<T> {
  readonly resource: T;
  /** Smaller is older. */
  readonly age: number;
}

export interface ResourceIndex {
  readonly virtualServices: readonly Aged<VirtualService>[];
  readonly destinationRules: readonly Aged<DestinationRule>[];
  readonly gateways: readonly Aged<Gateway>[];
  readonly serviceEntries: readonly Aged<ServiceEntry>[];
  readonly httpRoutes: readonly Aged<HTTPRoute>[];
  readonly grpcRoutes: readonly Aged<GRPCRoute>[];
  readonly peerAuthentications: readonly Aged<PeerAuthentication>[];
}

/**
 * Splits resources by kind, oldest first. PeerAuthentication is read because it decides the mTLS
 * of listeners and clusters. AuthorizationPolicy and RequestAuthentication are not (the security
 * layer enforces them), nor is Mesh (it feeds the registry).
 */
export function indexResources(resources: readonly Resource[]): ResourceIndex {
  const index = {
    virtualServices: [] as Aged<VirtualService>[],
    destinationRules: [] as Aged<DestinationRule>[],
    gateways: [] as Aged<Gateway>[],
    serviceEntries: [] as Aged<ServiceEntry>[],
    httpRoutes: [] as Aged<HTTPRoute>[],
    grpcRoutes: [] as Aged<GRPCRoute>[],
    peerAuthentications: [] as Aged<PeerAuthentication>[],
  };
  resources.forEach((r, age) => {
    switch (r.kind) {
      case 'VirtualService':
        index.virtualServices.push({ resource: r, age });
        break;
      case 'DestinationRule':
        index.destinationRules.push({ resource: r, age });
        break;
      case 'Gateway':
        index.gateways.push({ resource: r, age });
        break;
      case 'ServiceEntry':
        index.serviceEntries.push({ resource: r, age });
        break;
      case 'HTTPRoute':
        index.httpRoutes.push({ resource: r, age });
        break;
      case 'GRPCRoute':
        index.grpcRoutes.push({ resource: r, age });
        break;
      case 'PeerAuthentication':
        index.peerAuthentications.push({ resource: r, age });
        break;
      default:
        break;
    }
  });
  return index;
}
