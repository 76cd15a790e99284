// Shapes several Istio kinds share, with Istio's field names (camelCase, as in its CRDs).
import { Type, type Static } from '@sinclair/typebox';
import { anyCase, NonEmpty, Opt, Pattern, Percentage, Port, Str, Strict, StringMap, Strings } from './schema.js';

/** Istio serves these kinds under three versions with one schema; v1 first (preferred). */
export const ISTIO_NETWORKING_VERSIONS = ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'] as const;
export const ISTIO_SECURITY_VERSIONS = ['security.istio.io/v1', 'security.istio.io/v1beta1'] as const;

const exact = Strict({ exact: Str() });
const prefix = Strict({ prefix: Str() });
const regex = Strict({ regex: Str('RE2 syntax; must match the whole value') });

/** Istio's StringMatch (uri, scheme, method, authority, CORS origins): exactly one way to match. */
export const StringMatchSchema = Type.Union([exact, prefix, regex], { description: 'exactly one of exact, prefix, regex' });
export type StringMatch = Static<typeof StringMatchSchema>;

/**
 * A header or query parameter match. Istio also accepts `{}` here: the header must be present,
 * with any value (e.g. `headers: {end-user: {}}`).
 */
export const PresenceOrStringMatchSchema = Type.Union([exact, prefix, regex, Strict({})], {
  description: 'one of exact, prefix, regex; or {} for "present with any value"',
});
export type PresenceOrStringMatch = Static<typeof PresenceOrStringMatchSchema>;

/** Istio's Percent: a share of requests, 0 to 100, fractions allowed. */
export const PercentSchema = Strict({ value: Opt(Percentage()) });

export const PortSelectorSchema = Strict({ number: Port('port of the destination service') });

/** Istio's Destination: a service from the registry, optionally one subset and one port of it. */
export const DestinationSchema = Strict({
  host: NonEmpty('service name, short ("reviews") or fully qualified ("reviews.default.svc.cluster.local")'),
  subset: Opt(Str('a subset defined by a DestinationRule for host')),
  port: Opt(PortSelectorSchema),
});
export type Destination = Static<typeof DestinationSchema>;

const HeaderOperationsSchema = Strict({
  set: Opt(StringMap('replace any value of these headers')),
  add: Opt(StringMap('append these header values')),
  remove: Opt(Strings('header names to remove')),
});
export const HeadersSchema = Strict({ request: Opt(HeaderOperationsSchema), response: Opt(HeaderOperationsSchema) });
export type Headers = Static<typeof HeadersSchema>;

/** Protocol names Istio parses for ports (case-insensitive, as Istio reads them). */
const PROTOCOLS = ['HTTP', 'HTTPS', 'HTTP2', 'GRPC', 'GRPC-WEB', 'TCP', 'TLS', 'MONGO', 'MYSQL', 'REDIS'];
export const ProtocolSchema = Pattern(anyCase(PROTOCOLS), `one of ${PROTOCOLS.join(', ')} (any case)`);

/** Istio's Port (Gateway servers, ServiceEntry ports). */
export const IstioPortSchema = Strict({
  number: Port(),
  protocol: ProtocolSchema,
  name: Opt(Str('label for the port')),
  targetPort: Opt(Port('port on the endpoints, when it differs from number')),
});
