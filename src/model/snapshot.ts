// The snapshot: everything one proxy needs, as the control plane computes it (or a file gives it).
//
// One schema per shape gives both the TypeScript type (Static<>) and the runtime validator, so
// the file a user hands `maille proxy --config` and the stream from the control plane are checked
// by the same rules. Unknown fields are rejected (additionalProperties: false) everywhere: a typo
// must be an error, never a silently ignored setting.
//
// Durations are integers in milliseconds (`...Ms`). Percentages are 0..100 (fractions allowed).
import { Type, type Static, type TSchema, type TObject, type TProperties } from '@sinclair/typebox';

/** An object schema that rejects unknown fields. */
function Strict<T extends TProperties>(props: T, description?: string): TObject<T> {
  return Type.Object(props, { additionalProperties: false, description });
}
const Opt = <T extends TSchema>(s: T) => Type.Optional(s);
const Ms = (description: string) => Type.Integer({ minimum: 0, description });
const Percent = (description: string) => Type.Number({ minimum: 0, maximum: 100, description });

// ---------------------------------------------------------------------------------------------
// String matching (paths, headers, query parameters, authorities)

export const StringMatchSchema = Type.Union(
  [
    Strict({ exact: Type.String() }),
    Strict({ prefix: Type.String() }),
    Strict({ suffix: Type.String() }),
    Strict({ regex: Type.String({ description: 'RE2-style regex; must match the whole value' }) }),
  ],
  { description: 'exactly one of exact, prefix, suffix, regex' },
);
export type StringMatch = Static<typeof StringMatchSchema>;

export const HeaderMatchSchema = Strict({
  name: Type.String({ minLength: 1 }),
  /** How the value must look; omitted with `present` to only test presence. */
  value: Opt(StringMatchSchema),
  /** true: the header must be there (any value); false: it must be absent. */
  present: Opt(Type.Boolean()),
  /** Negates the whole match. */
  invert: Opt(Type.Boolean()),
});
export type HeaderMatch = Static<typeof HeaderMatchSchema>;

export const QueryParamMatchSchema = Strict({
  name: Type.String({ minLength: 1 }),
  value: Opt(StringMatchSchema),
  present: Opt(Type.Boolean()),
});
export type QueryParamMatch = Static<typeof QueryParamMatchSchema>;

export const RouteMatchSchema = Strict({
  /** Path without the query string. Omitted: any path. */
  path: Opt(StringMatchSchema),
  headers: Opt(Type.Array(HeaderMatchSchema)),
  queryParams: Opt(Type.Array(QueryParamMatchSchema)),
  /** Upper-case methods; any of them matches. Omitted: any method. */
  methods: Opt(Type.Array(Type.String({ minLength: 1 }))),
  /** Case-insensitive path matching (Istio's ignoreUriCase). */
  ignoreCase: Opt(Type.Boolean()),
});
export type RouteMatch = Static<typeof RouteMatchSchema>;

// ---------------------------------------------------------------------------------------------
// Route actions

export const HeaderMutationSchema = Strict({
  /** Appended (kept alongside existing values). */
  add: Opt(Type.Record(Type.String(), Type.String())),
  /** Replaces any existing value. */
  set: Opt(Type.Record(Type.String(), Type.String())),
  remove: Opt(Type.Array(Type.String())),
});
export type HeaderMutation = Static<typeof HeaderMutationSchema>;

export const WeightedDestinationSchema = Strict({
  cluster: Type.String({ minLength: 1 }),
  /** A named subset of the cluster's endpoints (see Cluster.subsets). */
  subset: Opt(Type.String({ minLength: 1 })),
  /** Relative weight; weights of a route need not sum to 100. Default 1. */
  weight: Opt(Type.Integer({ minimum: 0 })),
  requestHeaders: Opt(HeaderMutationSchema),
  responseHeaders: Opt(HeaderMutationSchema),
});
export type WeightedDestination = Static<typeof WeightedDestinationSchema>;

export const RetryPolicySchema = Strict({
  /** Retries after the first try (Istio's `attempts`). 0 disables retries. */
  attempts: Type.Integer({ minimum: 0, maximum: 50 }),
  perTryTimeoutMs: Opt(Ms('timeout of each try')),
  /**
   * Conditions, as Envoy/Istio name them: 5xx, gateway-error, connect-failure, refused-stream,
   * reset, retriable-status-codes, and the gRPC ones cancelled, deadline-exceeded, internal,
   * resource-exhausted, unavailable.
   */
  retryOn: Type.Array(Type.String()),
  retriableStatusCodes: Opt(Type.Array(Type.Integer({ minimum: 100, maximum: 599 }))),
  /** Exponential backoff with full jitter between tries. Defaults 25 ms base, 250 ms max. */
  backoff: Opt(Strict({ baseMs: Ms('first backoff'), maxMs: Opt(Ms('cap of the backoff')) })),
});
export type RetryPolicy = Static<typeof RetryPolicySchema>;

export const FaultSchema = Strict({
  delay: Opt(Strict({ fixedMs: Ms('added delay'), percent: Percent('share of requests delayed') })),
  abort: Opt(
    Strict({
      httpStatus: Opt(Type.Integer({ minimum: 200, maximum: 599 })),
      grpcStatus: Opt(Type.Integer({ minimum: 0, maximum: 16 })),
      percent: Percent('share of requests aborted'),
    }),
  ),
});
export type Fault = Static<typeof FaultSchema>;

export const MirrorSchema = Strict({
  cluster: Type.String({ minLength: 1 }),
  subset: Opt(Type.String({ minLength: 1 })),
  percent: Opt(Percent('share of requests mirrored; default 100')),
});
export type Mirror = Static<typeof MirrorSchema>;

export const ForwardActionSchema = Strict({
  destinations: Type.Array(WeightedDestinationSchema, { minItems: 1 }),
  /** Whole-request timeout including retries. Omitted or 0: none. */
  timeoutMs: Opt(Ms('route timeout')),
  retry: Opt(RetryPolicySchema),
  mirrors: Opt(Type.Array(MirrorSchema)),
  /** Replace the matched path prefix (prefix matches) or the whole path (other matches). */
  rewrite: Opt(
    Strict({
      pathPrefix: Opt(Type.String()),
      path: Opt(Type.String()),
      authority: Opt(Type.String()),
    }),
  ),
});
export type ForwardAction = Static<typeof ForwardActionSchema>;

export const RedirectActionSchema = Strict({
  scheme: Opt(Type.String()),
  host: Opt(Type.String()),
  port: Opt(Type.Integer({ minimum: 1, maximum: 65535 })),
  path: Opt(Type.String()),
  pathPrefix: Opt(Type.String({ description: 'replace the matched prefix' })),
  status: Opt(Type.Union([301, 302, 303, 307, 308].map((n) => Type.Literal(n)))),
});
export type RedirectAction = Static<typeof RedirectActionSchema>;

export const DirectResponseSchema = Strict({
  status: Type.Integer({ minimum: 200, maximum: 599 }),
  body: Opt(Type.String()),
  headers: Opt(Type.Record(Type.String(), Type.String())),
});
export type DirectResponse = Static<typeof DirectResponseSchema>;

export const RouteSchema = Strict({
  name: Opt(Type.String()),
  match: Opt(RouteMatchSchema),
  /** Exactly one of forward, redirect, direct. */
  forward: Opt(ForwardActionSchema),
  redirect: Opt(RedirectActionSchema),
  direct: Opt(DirectResponseSchema),
  requestHeaders: Opt(HeaderMutationSchema),
  responseHeaders: Opt(HeaderMutationSchema),
  fault: Opt(FaultSchema),
});
export type Route = Static<typeof RouteSchema>;

export const VirtualHostSchema = Strict({
  name: Type.String({ minLength: 1 }),
  /** `*`, `*.example.com`, `example.*`, `reviews`, `reviews:9080`; port and trailing dot ignored. */
  domains: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  routes: Type.Array(RouteSchema),
});
export type VirtualHost = Static<typeof VirtualHostSchema>;

export const RouteConfigSchema = Strict({
  name: Type.String({ minLength: 1 }),
  virtualHosts: Type.Array(VirtualHostSchema),
});
export type RouteConfig = Static<typeof RouteConfigSchema>;

// ---------------------------------------------------------------------------------------------
// Clusters (upstreams)

export const EndpointSchema = Strict({
  address: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  /** Relative weight for balancing. Default 1. */
  weight: Opt(Type.Integer({ minimum: 1 })),
  labels: Opt(Type.Record(Type.String(), Type.String())),
  locality: Opt(Type.String()),
  /** false: known unhealthy (health checks, registry); never picked. Default true. */
  healthy: Opt(Type.Boolean()),
});
export type Endpoint = Static<typeof EndpointSchema>;

export const HashPolicySchema = Type.Union(
  [
    Strict({ header: Type.String({ minLength: 1 }) }),
    Strict({ cookie: Type.String({ minLength: 1 }) }),
    Strict({ sourceIp: Type.Literal(true) }),
    Strict({ queryParameter: Type.String({ minLength: 1 }) }),
  ],
  { description: 'exactly one of header, cookie, sourceIp, queryParameter' },
);
export type HashPolicy = Static<typeof HashPolicySchema>;

export const LoadBalancerSchema = Strict({
  policy: Type.Union([
    Type.Literal('round_robin'),
    Type.Literal('least_request'),
    Type.Literal('random'),
    Type.Literal('consistent_hash'),
  ]),
  /** Required with consistent_hash. */
  hash: Opt(HashPolicySchema),
});
export type LoadBalancer = Static<typeof LoadBalancerSchema>;

export const ConnectionPoolSchema = Strict({
  /** Upstream connections open at once (all endpoints). Breaker: over it, 503 at once. */
  maxConnections: Opt(Type.Integer({ minimum: 1 })),
  /** Requests waiting for a connection. Breaker. */
  maxPendingRequests: Opt(Type.Integer({ minimum: 0 })),
  /** Requests in flight to the cluster. Breaker. */
  maxRequests: Opt(Type.Integer({ minimum: 1 })),
  /** Retries in flight to the cluster. Breaker. */
  maxRetries: Opt(Type.Integer({ minimum: 0 })),
  /** Requests per upstream connection before it is closed; 0 = unlimited. */
  maxRequestsPerConnection: Opt(Type.Integer({ minimum: 0 })),
  connectTimeoutMs: Opt(Ms('TCP connect timeout')),
  /** Close idle upstream connections after this long. */
  idleTimeoutMs: Opt(Ms('idle upstream connection lifetime')),
});
export type ConnectionPool = Static<typeof ConnectionPoolSchema>;

export const OutlierDetectionSchema = Strict({
  /** Eject after this many consecutive 5xx (502/503/504 and others). 0 disables. */
  consecutive5xx: Opt(Type.Integer({ minimum: 0 })),
  /** Eject after this many consecutive 502/503/504 or connection failures. 0 disables. */
  consecutiveGatewayErrors: Opt(Type.Integer({ minimum: 0 })),
  intervalMs: Opt(Ms('how often ejections are reviewed')),
  /** Ejection lasts baseEjectionTimeMs × number of times this host was ejected. */
  baseEjectionTimeMs: Opt(Ms('base ejection time')),
  maxEjectionPercent: Opt(Percent('cap on ejected hosts')),
});
export type OutlierDetection = Static<typeof OutlierDetectionSchema>;

export const RetryBudgetSchema = Strict({
  /** Retries allowed as a share of live requests (Linkerd's retryRatio, e.g. 0.2). */
  retryRatio: Type.Number({ minimum: 0, maximum: 1000 }),
  /** Retries always allowed per second regardless of the ratio. */
  minRetriesPerSecond: Type.Integer({ minimum: 0 }),
  /** Window over which requests are counted. Default 10000. */
  ttlMs: Opt(Ms('window of the budget')),
});
export type RetryBudget = Static<typeof RetryBudgetSchema>;

export const ClusterMtlsSchema = Strict({
  /** SNI sent to the endpoints (Istio sends outbound_.<port>_.<subset>_.<host>). */
  sni: Opt(Type.String({ minLength: 1 })),
  /** SPIFFE IDs the endpoints may present; omitted: any identity of the trust domain. */
  subjectAltNames: Opt(Type.Array(Type.String({ minLength: 1 }))),
});
export type ClusterMtls = Static<typeof ClusterMtlsSchema>;

export const ClusterSchema = Strict({
  name: Type.String({ minLength: 1 }),
  /** How the proxy speaks to the endpoints. Default http1 (tcp for opaque listeners). */
  protocol: Opt(Type.Union([Type.Literal('http1'), Type.Literal('http2'), Type.Literal('tcp')])),
  endpoints: Type.Array(EndpointSchema),
  subsets: Opt(
    Type.Array(Strict({ name: Type.String({ minLength: 1 }), labels: Type.Record(Type.String(), Type.String()) })),
  ),
  loadBalancer: Opt(LoadBalancerSchema),
  connectionPool: Opt(ConnectionPoolSchema),
  outlierDetection: Opt(OutlierDetectionSchema),
  retryBudget: Opt(RetryBudgetSchema),
  /** Originate mutual TLS to the endpoints with this proxy's workload certificate. */
  mtls: Opt(ClusterMtlsSchema),
});
export type Cluster = Static<typeof ClusterSchema>;

// ---------------------------------------------------------------------------------------------
// Listeners

export const ListenerLimitsSchema = Strict({
  /** Request line + headers, bytes. Default 65536. Over it: 431. */
  maxHeaderBytes: Opt(Type.Integer({ minimum: 256 })),
  /** Header fields. Default 100. Over it: 431. */
  maxHeaderCount: Opt(Type.Integer({ minimum: 1 })),
  /** A request head must arrive within this (slowloris). Default 10000. Over it: 408. */
  headerTimeoutMs: Opt(Ms('request header timeout')),
  /** Close a connection with no request in flight after this. Default 60000. */
  idleTimeoutMs: Opt(Ms('downstream idle timeout')),
  /** HTTP/2 concurrent streams per connection. Default 100. */
  maxConcurrentStreams: Opt(Type.Integer({ minimum: 1 })),
  /** HTTP/2: close a connection whose peer resets more streams than this per second. Default 200. */
  maxResetsPerSecond: Opt(Type.Integer({ minimum: 1 })),
});
export type ListenerLimits = Static<typeof ListenerLimitsSchema>;

/**
 * Require a client certificate (Istio's MUTUAL): its chain must end in one of these CAs, and
 * with subjectAltNames, one of its SANs (DNS, URI, email or IP) must equal one of them.
 */
export const ListenerClientAuthSchema = Strict({
  /** The CA bundle, PEM inline … */
  caCertificatesPem: Opt(Type.String({ minLength: 1 })),
  /** … or a file. Exactly one of the two. */
  caCertificatesFile: Opt(Type.String({ minLength: 1 })),
  subjectAltNames: Opt(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  /** Istio's OPTIONAL_MUTUAL: asked for but not required; one that is sent must pass. */
  optional: Opt(Type.Boolean()),
});
export type ListenerClientAuth = Static<typeof ListenerClientAuthSchema>;

export const ListenerSniCertificateSchema = Strict({
  serverNames: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  certificatePem: Opt(Type.String({ minLength: 1 })),
  privateKeyPem: Opt(Type.String({ minLength: 1 })),
  certFile: Opt(Type.String({ minLength: 1 })),
  keyFile: Opt(Type.String({ minLength: 1 })),
  /** Client certificates required for these names (omitted: none asked for). */
  clientAuth: Opt(ListenerClientAuthSchema),
});
export type ListenerSniCertificate = Static<typeof ListenerSniCertificateSchema>;

export const ListenerTlsSchema = Strict({
  /** The server certificate chain, PEM inline (what the control plane streams) … */
  certificatePem: Opt(Type.String({ minLength: 1 })),
  privateKeyPem: Opt(Type.String({ minLength: 1 })),
  /** … or files (handy for a hand-written snapshot). Exactly one form for each. */
  certFile: Opt(Type.String({ minLength: 1 })),
  keyFile: Opt(Type.String({ minLength: 1 })),
  /** ALPN protocols offered, in preference order. Default ["h2", "http/1.1"]. */
  alpn: Opt(Type.Array(Type.Union([Type.Literal('h2'), Type.Literal('http/1.1')]), { minItems: 1 })),
  minVersion: Opt(Type.Union([Type.Literal('TLSv1.2'), Type.Literal('TLSv1.3')])),
  /**
   * More certificates on the same port, chosen by the client's SNI: the first entry with a name
   * equal to it, or `*.suffix` matching one more label. No match (or no SNI): the one above.
   */
  sni: Opt(Type.Array(ListenerSniCertificateSchema)),
  /** Client certificates required with the certificate above (omitted: none asked for). */
  clientAuth: Opt(ListenerClientAuthSchema),
});
export type ListenerTls = Static<typeof ListenerTlsSchema>;

export const TcpDestinationSchema = Strict({
  cluster: Type.String({ minLength: 1 }),
  /** Relative weight, per connection. Default 1. */
  weight: Opt(Type.Integer({ minimum: 0 })),
});
export type TcpDestination = Static<typeof TcpDestinationSchema>;

/**
 * TLS passthrough (Istio's PASSTHROUGH): a connection whose ClientHello names one of
 * serverNames (exact, or `*.suffix` for one more label, or `*`) is sent as opaque TCP to one of
 * the destinations, TLS untouched; the backend terminates it.
 */
export const SniRouteSchema = Strict({
  serverNames: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  destinations: Type.Array(TcpDestinationSchema, { minItems: 1 }),
});
export type SniRoute = Static<typeof SniRouteSchema>;

export const ListenerSchema = Strict({
  name: Type.String({ minLength: 1 }),
  address: Opt(Type.String({ description: 'bind address; default 127.0.0.1' })),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  direction: Opt(Type.Union([Type.Literal('inbound'), Type.Literal('outbound'), Type.Literal('gateway')])),
  /**
   * detect: sniff the first bytes (HTTP/1, HTTP/2 preface, else TCP) within detectTimeoutMs;
   * a silent client (server-speaks-first protocol) falls back to TCP when it runs out.
   * http1 | http2 | tcp: no sniffing (the per-port override). Default detect.
   */
  protocol: Opt(
    Type.Union([Type.Literal('detect'), Type.Literal('http1'), Type.Literal('http2'), Type.Literal('tcp')]),
  ),
  detectTimeoutMs: Opt(Ms('protocol detection timeout; default 300')),
  /** Route table for HTTP traffic. */
  routeConfig: Opt(Type.String()),
  /** Cluster for opaque TCP traffic. */
  tcpCluster: Opt(Type.String()),
  limits: Opt(ListenerLimitsSchema),
  /** Terminate TLS here; the protocol inside is chosen by ALPN (else sniffed or declared). */
  tls: Opt(ListenerTlsSchema),
  /**
   * Read the client's TLS ClientHello first: a server name an entry claims is passed through
   * (the first entry naming it wins; exact names before wildcards); any other goes on to `tls`
   * when the listener has it, else the connection is closed.
   */
  sniRoutes: Opt(Type.Array(SniRouteSchema)),
  /**
   * Mesh mutual TLS with this proxy's workload certificate: STRICT requires a client certificate
   * with one SPIFFE ID of the trust domain; PERMISSIVE also accepts plaintext.
   */
  mtls: Opt(Strict({ mode: Type.Union([Type.Literal('STRICT'), Type.Literal('PERMISSIVE')]) })),
});
export type Listener = Static<typeof ListenerSchema>;

export const SnapshotSchema = Strict({
  /** Opaque; the proxy reports which version it runs. */
  version: Type.String({ minLength: 1 }),
  listeners: Type.Array(ListenerSchema),
  routeConfigs: Opt(Type.Array(RouteConfigSchema)),
  clusters: Opt(Type.Array(ClusterSchema)),
  /** How long in-flight requests may run after SIGTERM. Default 5000. */
  drainTimeoutMs: Opt(Ms('graceful drain time')),
  /**
   * The mesh's trust bundle (PEM roots), set by the control plane so that a root rotation reaches
   * every proxy, acknowledged like any configuration; it replaces the bundle of the last certificate.
   */
  trustBundlePem: Opt(Type.String({ minLength: 1 })),
});
export type Snapshot = Static<typeof SnapshotSchema>;
