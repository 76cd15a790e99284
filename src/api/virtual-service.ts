// networking.istio.io VirtualService: how requests to a host are routed (match → route, redirect
// or direct response; rewrites, timeouts, retries, faults, mirrors, CORS, header edits).
// Field names are Istio's own so users' YAML applies unchanged.
import { Type, type Static } from '@sinclair/typebox';
import { Duration } from './duration.js';
import {
  DestinationSchema,
  HeadersSchema,
  ISTIO_NETWORKING_VERSIONS,
  PercentSchema,
  PresenceOrStringMatchSchema,
  StringMatchSchema,
} from './istio-common.js';
import { resourceSchema, type Stored } from './meta.js';
import { atMostOneOf, eachOf, exactlyOneOf, type FieldPath, type Problem } from './problems.js';
import { Bool, Count, Enum, NonEmpty, Opt, Port, Str, Strict, StringMap, Strings } from './schema.js';

const HTTPMatchRequestSchema = Strict({
  name: Opt(Str('appended to the route name in logs and stats')),
  uri: Opt(StringMatchSchema),
  scheme: Opt(StringMatchSchema),
  method: Opt(StringMatchSchema),
  authority: Opt(StringMatchSchema),
  headers: Opt(Type.Record(Type.String(), PresenceOrStringMatchSchema, { description: 'lowercase header names' })),
  queryParams: Opt(Type.Record(Type.String(), PresenceOrStringMatchSchema)),
  withoutHeaders: Opt(Type.Record(Type.String(), PresenceOrStringMatchSchema, { description: 'headers that must not match' })),
  ignoreUriCase: Opt(Bool('case-insensitive uri match')),
  port: Opt(Port('the port addressed on the host')),
  sourceLabels: Opt(StringMap('only callers whose workload carries these labels')),
  sourceNamespace: Opt(Str('only callers in this namespace')),
  gateways: Opt(Strings('only traffic through these gateways ("mesh" for sidecars)')),
  statPrefix: Opt(Str()),
});

const HTTPRouteDestinationSchema = Strict({
  destination: DestinationSchema,
  weight: Opt(Count('share of the traffic, relative to the other destinations of the route')),
  headers: Opt(HeadersSchema),
});

const HTTPRedirectSchema = Strict({
  uri: Opt(Str('replaces the path')),
  authority: Opt(Str('replaces the host')),
  port: Opt(Port()),
  derivePort: Opt(Enum(['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT'])),
  scheme: Opt(Str()),
  redirectCode: Opt(Type.Integer({ minimum: 300, maximum: 399, description: 'default 301' })),
});

const HTTPDirectResponseSchema = Strict({
  status: Type.Integer({ minimum: 200, maximum: 599 }),
  body: Opt(Type.Union([Strict({ string: Str() }), Strict({ bytes: Str('base64') })], { description: 'exactly one of string, bytes' })),
});

const HTTPRewriteSchema = Strict({
  uri: Opt(Str('replaces the matched prefix, or the whole path for other matches')),
  authority: Opt(Str()),
  uriRegexRewrite: Opt(Strict({ match: Str('RE2 regex'), rewrite: Str('replacement; \\1 refers to a group') })),
});

const HTTPRetrySchema = Strict({
  attempts: Opt(Count('retries after the first try; 0 disables retries')),
  perTryTimeout: Opt(Duration('timeout of each try')),
  retryOn: Opt(Str('comma-separated conditions: 5xx, gateway-error, connect-failure, reset, retriable-4xx, status codes…')),
  retryRemoteLocalities: Opt(Bool()),
  retryIgnorePreviousHosts: Opt(Bool()),
  backoff: Opt(Duration('base interval between tries')),
});

export const GRPC_STATUS_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED',
  'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const; // prettier-ignore

const HTTPFaultInjectionSchema = Strict({
  delay: Opt(
    Strict({
      fixedDelay: Opt(Duration()),
      exponentialDelay: Opt(Duration()),
      percentage: Opt(PercentSchema),
      percent: Opt(Type.Integer({ minimum: 0, maximum: 100, description: 'deprecated: use percentage' })),
    }),
  ),
  abort: Opt(
    Strict({
      httpStatus: Opt(Type.Integer({ minimum: 200, maximum: 599 })),
      grpcStatus: Opt(Enum(GRPC_STATUS_NAMES, 'a gRPC status name, e.g. UNAVAILABLE (not 14)')),
      http2Error: Opt(Str()),
      percentage: Opt(PercentSchema),
    }),
  ),
});

const CorsPolicySchema = Strict({
  allowOrigins: Opt(Type.Array(StringMatchSchema)),
  allowOrigin: Opt(Strings('deprecated: use allowOrigins')),
  allowMethods: Opt(Strings()),
  allowHeaders: Opt(Strings()),
  exposeHeaders: Opt(Strings()),
  maxAge: Opt(Duration()),
  allowCredentials: Opt(Bool()),
  unmatchedPreflights: Opt(Enum(['UNSPECIFIED', 'FORWARD', 'IGNORE'])),
});

const HTTPRouteSchema = Strict({
  name: Opt(Str()),
  match: Opt(Type.Array(HTTPMatchRequestSchema, { description: 'any of them (OR); fields within one are ANDed' })),
  route: Opt(Type.Array(HTTPRouteDestinationSchema, { minItems: 1 })),
  redirect: Opt(HTTPRedirectSchema),
  directResponse: Opt(HTTPDirectResponseSchema),
  delegate: Opt(Strict({ name: NonEmpty(), namespace: Opt(Str()) })),
  rewrite: Opt(HTTPRewriteSchema),
  timeout: Opt(Duration('whole request, retries included; default none')),
  retries: Opt(HTTPRetrySchema),
  fault: Opt(HTTPFaultInjectionSchema),
  mirror: Opt(DestinationSchema),
  mirrorPercentage: Opt(PercentSchema),
  mirrors: Opt(Type.Array(Strict({ destination: DestinationSchema, percentage: Opt(PercentSchema) }))),
  corsPolicy: Opt(CorsPolicySchema),
  headers: Opt(HeadersSchema),
});
export type VirtualServiceHttpRoute = Static<typeof HTTPRouteSchema>;

const RouteDestinationSchema = Strict({ destination: DestinationSchema, weight: Opt(Count()) });

const L4MatchSchema = Strict({
  destinationSubnets: Opt(Strings('IPs or CIDRs')),
  port: Opt(Port()),
  sourceLabels: Opt(StringMap()),
  sourceNamespace: Opt(Str()),
  sourceSubnet: Opt(Str()),
  gateways: Opt(Strings()),
});

const TLSMatchSchema = Strict({
  sniHosts: Type.Array(Type.String(), { minItems: 1, description: 'SNI names to match' }),
  destinationSubnets: Opt(Strings()),
  port: Opt(Port()),
  sourceLabels: Opt(StringMap()),
  sourceNamespace: Opt(Str()),
  gateways: Opt(Strings()),
});

export const VirtualServiceSpecSchema = Strict({
  hosts: Opt(Strings('hosts this applies to; omitted only in a delegate VirtualService')),
  gateways: Opt(Strings('gateways and/or "mesh" (the default: sidecars)')),
  http: Opt(Type.Array(HTTPRouteSchema, { description: 'first match wins' })),
  tls: Opt(Type.Array(Strict({ match: Type.Array(TLSMatchSchema, { minItems: 1 }), route: Opt(Type.Array(RouteDestinationSchema)) }))),
  tcp: Opt(Type.Array(Strict({ match: Opt(Type.Array(L4MatchSchema)), route: Opt(Type.Array(RouteDestinationSchema)) }))),
  exportTo: Opt(Strings('namespaces that see it: "." this one, "*" all (default)')),
});

export const VirtualServiceSchema = resourceSchema('VirtualService', ISTIO_NETWORKING_VERSIONS, VirtualServiceSpecSchema);
export type VirtualService = Stored<Static<typeof VirtualServiceSchema>>;

/** Istio's oneofs and "one action per route" rule, which the schema cannot express. */
export function checkVirtualService(vs: Static<typeof VirtualServiceSchema>): Problem[] {
  return eachOf(vs.spec.http, ['spec', 'http'], checkHttpRoute);
}

function checkHttpRoute(r: VirtualServiceHttpRoute, path: FieldPath): Problem[] {
  return [
    ...exactlyOneOf(r, ['route', 'redirect', 'directResponse', 'delegate'], path),
    ...atMostOneOf(r, ['mirror', 'mirrors'], path),
    ...atMostOneOf(r.redirect, ['port', 'derivePort'], [...path, 'redirect']),
    ...atMostOneOf(r.rewrite, ['uri', 'uriRegexRewrite'], [...path, 'rewrite']),
    ...exactlyOneOf(r.fault?.delay, ['fixedDelay', 'exponentialDelay'], [...path, 'fault', 'delay']),
    ...exactlyOneOf(r.fault?.abort, ['httpStatus', 'grpcStatus', 'http2Error'], [...path, 'fault', 'abort']),
  ];
}

