// gateway.networking.k8s.io GRPCRoute: routing by gRPC service and method. Same parents and
// backends as HTTPRoute; matches name a method instead of a path.
import { Type, type Static } from '@sinclair/typebox';
import {
  BackendObjectReferenceSchema,
  checkBackendPort,
  checkFilter,
  HeaderMatchSchema,
  HeaderModifierSchema,
  LocalObjectReferenceSchema,
  ParentReferenceSchema,
  RequestMirrorSchema,
  Weight,
} from './gateway-api-common.js';
import { resourceSchema, type Stored } from './meta.js';
import { eachOf, type FieldPath, type Problem } from './problems.js';
import { Enum, Opt, Str, Strict, Strings } from './schema.js';

const GRPCRouteFilterSchema = Strict({
  type: Enum(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef']),
  requestHeaderModifier: Opt(HeaderModifierSchema),
  responseHeaderModifier: Opt(HeaderModifierSchema),
  requestMirror: Opt(RequestMirrorSchema),
  extensionRef: Opt(LocalObjectReferenceSchema),
});
type GRPCRouteFilter = Static<typeof GRPCRouteFilterSchema>;

const GRPCRouteMatchSchema = Strict({
  method: Opt(
    Strict({
      type: Opt(Enum(['Exact', 'RegularExpression'], 'default Exact')),
      service: Opt(Str('fully qualified, e.g. "helloworld.Greeter"')),
      method: Opt(Str('e.g. "SayHello"')),
    }),
  ),
  headers: Opt(Type.Array(HeaderMatchSchema)),
});

const GRPCRouteRuleSchema = Strict({
  name: Opt(Str()),
  matches: Opt(Type.Array(GRPCRouteMatchSchema)),
  filters: Opt(Type.Array(GRPCRouteFilterSchema)),
  backendRefs: Opt(
    Type.Array(Strict({ ...BackendObjectReferenceSchema.properties, weight: Opt(Weight()), filters: Opt(Type.Array(GRPCRouteFilterSchema)) })),
  ),
});

export const GRPCRouteSpecSchema = Strict({
  parentRefs: Opt(Type.Array(ParentReferenceSchema)),
  hostnames: Opt(Strings()),
  rules: Opt(Type.Array(GRPCRouteRuleSchema)),
});

export const GRPCRouteSchema = resourceSchema('GRPCRoute', ['gateway.networking.k8s.io/v1'], GRPCRouteSpecSchema);
export type GRPCRoute = Stored<Static<typeof GRPCRouteSchema>>;

export function checkGRPCRoute(route: Static<typeof GRPCRouteSchema>): Problem[] {
  const filter = (f: GRPCRouteFilter, at: FieldPath) => [
    ...checkFilter(f, at),
    ...(f.requestMirror ? checkBackendPort(f.requestMirror.backendRef, [...at, 'requestMirror', 'backendRef']) : []),
  ];
  return eachOf(route.spec.rules, ['spec', 'rules'], (rule, path) => [
    ...eachOf(rule.matches, [...path, 'matches'], (m, at) =>
      m.method && m.method.service === undefined && m.method.method === undefined
        ? [{ path: [...at, 'method'], message: 'must have service, method or both' }]
        : [],
    ),
    ...eachOf(rule.filters, [...path, 'filters'], filter),
    ...eachOf(rule.backendRefs, [...path, 'backendRefs'], (ref, at) => [
      ...checkBackendPort(ref, at),
      ...eachOf(ref.filters, [...at, 'filters'], filter),
    ]),
  ]);
}
