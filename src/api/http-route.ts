// gateway.networking.k8s.io HTTPRoute: Gateway API's HTTP routing. Mesh routes (GAMMA) name a
// Service as parentRef; ingress routes name a Gateway.
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
  RouteTimeoutsSchema,
  Weight,
} from './gateway-api-common.js';
import { resourceSchema, type Stored } from './meta.js';
import { eachOf, type FieldPath, type Problem } from './problems.js';
import { Enum, Opt, Port, Str, Strict, Strings } from './schema.js';

export const HTTPROUTE_VERSIONS = ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1'] as const;

const PathModifierSchema = Strict({
  type: Enum(['ReplaceFullPath', 'ReplacePrefixMatch']),
  replaceFullPath: Opt(Str()),
  replacePrefixMatch: Opt(Str()),
});

const HTTPRouteFilterSchema = Strict({
  type: Enum(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite', 'ExtensionRef']),
  requestHeaderModifier: Opt(HeaderModifierSchema),
  responseHeaderModifier: Opt(HeaderModifierSchema),
  requestMirror: Opt(RequestMirrorSchema),
  requestRedirect: Opt(
    Strict({
      scheme: Opt(Enum(['http', 'https'])),
      hostname: Opt(Str()),
      path: Opt(PathModifierSchema),
      port: Opt(Port()),
      statusCode: Opt(Type.Union([301, 302, 303, 307, 308].map((n) => Type.Literal(n)), { description: 'default 302' })),
    }),
  ),
  urlRewrite: Opt(Strict({ hostname: Opt(Str()), path: Opt(PathModifierSchema) })),
  extensionRef: Opt(LocalObjectReferenceSchema),
});
export type HTTPRouteFilter = Static<typeof HTTPRouteFilterSchema>;

const HTTPRouteMatchSchema = Strict({
  path: Opt(Strict({ type: Opt(Enum(['Exact', 'PathPrefix', 'RegularExpression'], 'default PathPrefix')), value: Opt(Str('default "/"')) })),
  headers: Opt(Type.Array(HeaderMatchSchema)),
  queryParams: Opt(Type.Array(HeaderMatchSchema)),
  method: Opt(Enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'])),
});

const HTTPBackendRefSchema = Strict({
  ...BackendObjectReferenceSchema.properties,
  weight: Opt(Weight()),
  filters: Opt(Type.Array(HTTPRouteFilterSchema)),
});

const HTTPRouteRuleSchema = Strict({
  name: Opt(Str()),
  matches: Opt(Type.Array(HTTPRouteMatchSchema, { description: 'any of them; default: path prefix "/"' })),
  filters: Opt(Type.Array(HTTPRouteFilterSchema)),
  backendRefs: Opt(Type.Array(HTTPBackendRefSchema)),
  timeouts: Opt(RouteTimeoutsSchema),
});
export type HTTPRouteRule = Static<typeof HTTPRouteRuleSchema>;

export const HTTPRouteSpecSchema = Strict({
  parentRefs: Opt(Type.Array(ParentReferenceSchema)),
  hostnames: Opt(Strings()),
  rules: Opt(Type.Array(HTTPRouteRuleSchema)),
});

export const HTTPRouteSchema = resourceSchema('HTTPRoute', HTTPROUTE_VERSIONS, HTTPRouteSpecSchema);
export type HTTPRoute = Stored<Static<typeof HTTPRouteSchema>>;

export function checkHTTPRoute(route: Static<typeof HTTPRouteSchema>): Problem[] {
  return eachOf(route.spec.rules, ['spec', 'rules'], (rule, path) => [
    ...eachOf(rule.matches, [...path, 'matches'], checkMatch),
    ...eachOf(rule.filters, [...path, 'filters'], checkHttpFilter),
    ...eachOf(rule.backendRefs, [...path, 'backendRefs'], (ref, at) => [
      ...checkBackendPort(ref, at),
      ...eachOf(ref.filters, [...at, 'filters'], checkHttpFilter),
    ]),
  ]);
}

function checkMatch(m: Static<typeof HTTPRouteMatchSchema>, path: FieldPath): Problem[] {
  const p = m.path;
  // Gateway API's CEL rule: Exact and PathPrefix values are absolute paths.
  if (p?.value !== undefined && p.type !== 'RegularExpression' && !p.value.startsWith('/')) {
    const message = `must start with "/" for type ${p.type ?? 'PathPrefix'} (got ${JSON.stringify(p.value)})`;
    return [{ path: [...path, 'path', 'value'], message }];
  }
  return [];
}

function checkHttpFilter(f: HTTPRouteFilter, path: FieldPath): Problem[] {
  const problems = checkFilter(f, path);
  const pathModifier = f.requestRedirect?.path ?? f.urlRewrite?.path;
  if (pathModifier) {
    const at = [...path, f.requestRedirect ? 'requestRedirect' : 'urlRewrite', 'path'];
    problems.push(...checkFilter(pathModifier, at));
  }
  if (f.requestMirror) problems.push(...checkBackendPort(f.requestMirror.backendRef, [...path, 'requestMirror', 'backendRef']));
  return problems;
}
