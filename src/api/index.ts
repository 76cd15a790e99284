// The configuration API: resource kinds (Istio, Gateway API, maille's own), their validation and
// their CRD schemas. What the rest of maille imports; the files behind it hold one kind each.
export { parseResources, validateResource, ConfigError, type Where } from './load.js';
export { KINDS, findKind, supportedKinds, type KindInfo, type Resource, type ResourceKind } from './kinds.js';
export { crdSchemaFor, type CrdSchema } from './json-schema.js';
export { parseDuration } from './duration.js';
export { DEFAULT_NAMESPACE, type ObjectMeta, type Stored } from './meta.js';
export type { Destination, Headers, PresenceOrStringMatch, StringMatch } from './istio-common.js';
export { VirtualServiceSchema, type VirtualService, type VirtualServiceHttpRoute } from './virtual-service.js';
export { DestinationRuleSchema, type DestinationRule, type TrafficPolicy } from './destination-rule.js';
export { GatewaySchema, type Gateway } from './istio-gateway.js';
export { ServiceEntrySchema, type ServiceEntry } from './service-entry.js';
export { MTLS_MODES, PeerAuthenticationSchema, type MtlsMode, type PeerAuthentication } from './peer-authentication.js';
export { AuthorizationPolicySchema, type AuthorizationPolicy } from './authorization-policy.js';
export { RequestAuthenticationSchema, type RequestAuthentication } from './request-authentication.js';
export type { ParentReference } from './gateway-api-common.js';
export { HTTPRouteSchema, type HTTPRoute, type HTTPRouteFilter, type HTTPRouteRule } from './http-route.js';
export { GRPCRouteSchema, type GRPCRoute } from './grpc-route.js';
export { MeshSchema, type Mesh, type MeshService } from './mesh.js';
