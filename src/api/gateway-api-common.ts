// Shapes HTTPRoute and GRPCRoute share, with Gateway API's field names (gateway.networking.k8s.io).
// A parentRef to a Service makes a mesh route (GAMMA); to a Gateway, an ingress route.
import { Type, type Static } from '@sinclair/typebox';
import { Duration } from './duration.js';
import type { FieldPath, Problem } from './problems.js';
import { Enum, NonEmpty, Opt, Port, Str, Strict, Strings } from './schema.js';

export const ParentReferenceSchema = Strict({
  group: Opt(Str('"" (core) for a Service; default gateway.networking.k8s.io')),
  kind: Opt(Str('Service (mesh route) or Gateway (the default)')),
  namespace: Opt(Str('default: the route\'s namespace')),
  name: NonEmpty(),
  sectionName: Opt(Str('a listener of the Gateway, or a port name of the Service')),
  port: Opt(Port()),
});
export type ParentReference = Static<typeof ParentReferenceSchema>;

const HeaderValueSchema = Strict({ name: NonEmpty(), value: Str() });
export const HeaderModifierSchema = Strict({
  set: Opt(Type.Array(HeaderValueSchema)),
  add: Opt(Type.Array(HeaderValueSchema)),
  remove: Opt(Strings()),
});

export const BackendObjectReferenceSchema = Strict({
  group: Opt(Str('default "" (core)')),
  kind: Opt(Str('default Service')),
  name: NonEmpty(),
  namespace: Opt(Str()),
  port: Opt(Port('required for a Service')),
});

export const RequestMirrorSchema = Strict({
  backendRef: BackendObjectReferenceSchema,
  percent: Opt(Type.Integer({ minimum: 0, maximum: 100 })),
  fraction: Opt(Strict({ numerator: Type.Integer({ minimum: 0 }), denominator: Opt(Type.Integer({ minimum: 1 })) })),
});

export const LocalObjectReferenceSchema = Strict({ group: Str(), kind: NonEmpty(), name: NonEmpty() });

export const HeaderMatchSchema = Strict({
  type: Opt(Enum(['Exact', 'RegularExpression'], 'default Exact')),
  name: NonEmpty(),
  value: Str(),
});

export const Weight = () => Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'relative share; default 1' });

/** The Gateway API duration format (GEP-2257) is a subset of the one durations accept. */
export const RouteTimeoutsSchema = Strict({
  request: Opt(Duration('whole request, retries included; "0s" disables')),
  backendRequest: Opt(Duration('each try to a backend')),
});

/** Filters are a tagged union: `type` names the one config field that must be set. */
export function checkFilter(filter: { type: string } & Record<string, unknown>, path: FieldPath): Problem[] {
  const expected = filter.type.charAt(0).toLowerCase() + filter.type.slice(1);
  const field = expected === 'uRLRewrite' ? 'urlRewrite' : expected;
  const others = Object.keys(filter).filter((k) => k !== 'type' && k !== field && filter[k] !== undefined);
  const problems: Problem[] = [];
  if (filter[field] === undefined) problems.push({ path: [...path, field], message: `is required with type ${filter.type}` });
  for (const k of others) problems.push({ path: [...path, k], message: `is not allowed with type ${filter.type} (it goes with ${typeOf(k)})` });
  return problems;
}

function typeOf(field: string): string {
  return field === 'urlRewrite' ? 'URLRewrite' : field.charAt(0).toUpperCase() + field.slice(1);
}

/**
 * A backend's port is required when it is a Service (the default kind): Gateway API's own rule,
 * since a Service has many ports and none is implied.
 */
export function checkBackendPort(ref: { group?: string; kind?: string; port?: number }, path: FieldPath): Problem[] {
  const isService = (ref.group ?? '') === '' && (ref.kind ?? 'Service') === 'Service';
  return isService && ref.port === undefined ? [{ path: [...path, 'port'], message: 'is required when the backend is a Service' }] : [];
}
