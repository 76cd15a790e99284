// The table of supported kinds: what load.ts dispatches on, what json-schema.ts turns into CRDs,
// and what `maille get KIND` resolves names and short names against.
import { KindGuard, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { AuthorizationPolicySchema, checkAuthorizationPolicy, type AuthorizationPolicy } from './authorization-policy.js';
import { checkDestinationRule, DestinationRuleSchema, type DestinationRule } from './destination-rule.js';
import { checkGRPCRoute, GRPCRouteSchema, type GRPCRoute } from './grpc-route.js';
import { checkHTTPRoute, HTTPRouteSchema, type HTTPRoute } from './http-route.js';
import { checkGateway, GatewaySchema, type Gateway } from './istio-gateway.js';
import { checkMesh, MeshSchema, type Mesh } from './mesh.js';
import { checkPeerAuthentication, PeerAuthenticationSchema, type PeerAuthentication } from './peer-authentication.js';
import type { Problem } from './problems.js';
import { checkRequestAuthentication, RequestAuthenticationSchema, type RequestAuthentication } from './request-authentication.js';
import { checkServiceEntry, ServiceEntrySchema, type ServiceEntry } from './service-entry.js';
import { checkVirtualService, VirtualServiceSchema, type VirtualService } from './virtual-service.js';

/** A validated resource, told apart by `kind`. */
export type Resource =
  | VirtualService
  | DestinationRule
  | Gateway
  | ServiceEntry
  | PeerAuthentication
  | AuthorizationPolicy
  | RequestAuthentication
  | HTTPRoute
  | GRPCRoute
  | Mesh;
export type ResourceKind = Resource['kind'];

export interface KindInfo {
  readonly kind: ResourceKind;
  /** API group, e.g. networking.istio.io. */
  readonly group: string;
  /** Served apiVersions (group/version), preferred first; all share one schema. */
  readonly apiVersions: readonly string[];
  /** Lowercase plural, as in Kubernetes URLs and `kubectl get virtualservices`. */
  readonly plural: string;
  readonly shortNames: readonly string[];
  /** The whole resource, envelope included. */
  readonly schema: TObject;
  /** Rules between fields; runs only on a schema-valid resource. */
  readonly check: (resource: unknown) => Problem[];
}

function kind<S extends TObject>(
  name: ResourceKind,
  plural: string,
  shortNames: readonly string[],
  schema: S,
  check: (resource: Static<S>) => Problem[],
): KindInfo {
  const apiVersions = literals(schema.properties.apiVersion);
  return {
    kind: name,
    group: apiVersions[0].slice(0, apiVersions[0].lastIndexOf('/')),
    apiVersions,
    plural,
    shortNames,
    schema,
    check: (resource) => check(resource as Static<S>),
  };
}

function literals(schema: TSchema | undefined): string[] {
  if (KindGuard.IsUnion(schema)) return schema.anyOf.flatMap(literals);
  return KindGuard.IsLiteral(schema) ? [String(schema.const)] : [];
}

export const KINDS: readonly KindInfo[] = [
  kind('VirtualService', 'virtualservices', ['vs'], VirtualServiceSchema, checkVirtualService),
  kind('DestinationRule', 'destinationrules', ['dr'], DestinationRuleSchema, checkDestinationRule),
  kind('Gateway', 'gateways', ['gw'], GatewaySchema, checkGateway),
  kind('ServiceEntry', 'serviceentries', ['se'], ServiceEntrySchema, checkServiceEntry),
  kind('PeerAuthentication', 'peerauthentications', ['pa'], PeerAuthenticationSchema, checkPeerAuthentication),
  kind('AuthorizationPolicy', 'authorizationpolicies', ['ap'], AuthorizationPolicySchema, checkAuthorizationPolicy),
  kind('RequestAuthentication', 'requestauthentications', ['ra'], RequestAuthenticationSchema, checkRequestAuthentication),
  kind('HTTPRoute', 'httproutes', [], HTTPRouteSchema, checkHTTPRoute),
  kind('GRPCRoute', 'grpcroutes', [], GRPCRouteSchema, checkGRPCRoute),
  kind('Mesh', 'meshes', [], MeshSchema, checkMesh),
];

const byName = new Map<string, KindInfo>();
for (const k of KINDS) for (const n of [k.kind, k.kind.toLowerCase(), k.plural, ...k.shortNames]) byName.set(n, k);

/**
 * The kind a user means: its exact name (VirtualService), or as kubectl accepts it on the command
 * line (virtualservice, virtualservices, vs).
 */
export function findKind(name: string): KindInfo | undefined {
  return byName.get(name) ?? byName.get(name.toLowerCase());
}

/** "VirtualService, DestinationRule, Gateway, ServiceEntry (networking.istio.io/v1), …" for messages. */
export function supportedKinds(): string {
  const groups = new Map<string, string[]>();
  for (const k of KINDS) groups.set(k.apiVersions[0], [...(groups.get(k.apiVersions[0]) ?? []), k.kind]);
  return [...groups].map(([apiVersion, kinds]) => `${kinds.join(', ')} (${apiVersion})`).join('; ');
}
