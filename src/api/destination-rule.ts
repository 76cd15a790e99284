// networking.istio.io DestinationRule: what happens to traffic for a host after routing — subsets
// (named label sets, e.g. versions), load balancing, connection pools (circuit breaking), outlier
// detection and client TLS, for the whole host, per port or per subset.
import { Type, type Static } from '@sinclair/typebox';
import { Duration } from './duration.js';
import { ISTIO_NETWORKING_VERSIONS, PortSelectorSchema } from './istio-common.js';
import { resourceSchema, WorkloadSelectorSchema, type Stored } from './meta.js';
import { atMostOneOf, eachOf, exactlyOneOf, type FieldPath, type Problem } from './problems.js';
import { Bool, Count, Enum, NonEmpty, Opt, Percentage, Port, Str, Strict, StringMap, Strings } from './schema.js';

const ConsistentHashSchema = Strict({
  httpHeaderName: Opt(Str()),
  httpCookie: Opt(Strict({ name: NonEmpty(), path: Opt(Str()), ttl: Opt(Duration('lifetime of a generated cookie')) })),
  useSourceIp: Opt(Bool()),
  httpQueryParameterName: Opt(Str()),
  ringHash: Opt(Strict({ minimumRingSize: Opt(Count()) })),
  maglev: Opt(Strict({ tableSize: Opt(Count()) })),
  minimumRingSize: Opt(Count('deprecated: use ringHash')),
});

const LocalityLbSettingSchema = Strict({
  enabled: Opt(Bool()),
  distribute: Opt(Type.Array(Strict({ from: Opt(Str()), to: Opt(Type.Record(Type.String(), Count())) }))),
  failover: Opt(Type.Array(Strict({ from: Opt(Str()), to: Opt(Str()) }))),
  failoverPriority: Opt(Strings()),
});

const LoadBalancerSchema = Strict({
  simple: Opt(Enum(['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'])),
  consistentHash: Opt(ConsistentHashSchema),
  localityLbSetting: Opt(LocalityLbSettingSchema),
  warmup: Opt(Strict({ duration: Duration(), minimumPercent: Opt(Percentage()), aggression: Opt(Type.Number({ minimum: 1 })) })),
  warmupDurationSecs: Opt(Duration('deprecated: use warmup')),
});

const ConnectionPoolSchema = Strict({
  tcp: Opt(
    Strict({
      maxConnections: Opt(Count('connections to each endpoint; over it, requests queue')),
      connectTimeout: Opt(Duration()),
      tcpKeepalive: Opt(Strict({ probes: Opt(Count()), time: Opt(Duration()), interval: Opt(Duration()) })),
      maxConnectionDuration: Opt(Duration()),
      idleTimeout: Opt(Duration()),
    }),
  ),
  http: Opt(
    Strict({
      http1MaxPendingRequests: Opt(Count('requests waiting for a connection; over it, 503 at once')),
      http2MaxRequests: Opt(Count('requests in flight to the destination')),
      maxRequestsPerConnection: Opt(Count('0 means unlimited')),
      maxRetries: Opt(Count('retries in flight to the destination')),
      idleTimeout: Opt(Duration()),
      h2UpgradePolicy: Opt(Enum(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'])),
      useClientProtocol: Opt(Bool()),
      maxConcurrentStreams: Opt(Count()),
    }),
  ),
});

const OutlierDetectionSchema = Strict({
  consecutive5xxErrors: Opt(Count('eject an endpoint after this many 5xx in a row; 0 disables')),
  consecutiveGatewayErrors: Opt(Count('eject after this many 502/503/504 in a row; 0 disables')),
  consecutiveLocalOriginFailures: Opt(Count()),
  consecutiveErrors: Opt(Count('deprecated: use consecutive5xxErrors')),
  splitExternalLocalOriginErrors: Opt(Bool()),
  interval: Opt(Duration('time between ejection sweeps')),
  baseEjectionTime: Opt(Duration('ejection lasts this times the number of ejections')),
  maxEjectionPercent: Opt(Type.Integer({ minimum: 0, maximum: 100 })),
  minHealthPercent: Opt(Type.Integer({ minimum: 0, maximum: 100 })),
});

const ClientTLSSettingsSchema = Strict({
  mode: Opt(Enum(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'])),
  clientCertificate: Opt(Str()),
  privateKey: Opt(Str()),
  caCertificates: Opt(Str()),
  caCrl: Opt(Str()),
  credentialName: Opt(Str()),
  subjectAltNames: Opt(Strings()),
  sni: Opt(Str()),
  insecureSkipVerify: Opt(Bool()),
});

const PortTrafficPolicySchema = Strict({
  port: Opt(PortSelectorSchema),
  loadBalancer: Opt(LoadBalancerSchema),
  connectionPool: Opt(ConnectionPoolSchema),
  outlierDetection: Opt(OutlierDetectionSchema),
  tls: Opt(ClientTLSSettingsSchema),
});

const TrafficPolicySchema = Strict({
  loadBalancer: Opt(LoadBalancerSchema),
  connectionPool: Opt(ConnectionPoolSchema),
  outlierDetection: Opt(OutlierDetectionSchema),
  tls: Opt(ClientTLSSettingsSchema),
  portLevelSettings: Opt(Type.Array(PortTrafficPolicySchema)),
  tunnel: Opt(Strict({ protocol: Opt(Str()), targetHost: NonEmpty(), targetPort: Port() })),
  proxyProtocol: Opt(Strict({ version: Opt(Enum(['V1', 'V2'])) })),
  retryBudget: Opt(Strict({ percent: Opt(Percentage()), minRetryConcurrency: Opt(Count()) })),
});
export type TrafficPolicy = Static<typeof TrafficPolicySchema>;

export const DestinationRuleSpecSchema = Strict({
  host: NonEmpty('the service this applies to, as in a VirtualService destination'),
  trafficPolicy: Opt(TrafficPolicySchema),
  subsets: Opt(
    Type.Array(
      Strict({
        name: NonEmpty('referred to by VirtualService destinations'),
        labels: Opt(StringMap('endpoints whose workload carries all of these')),
        trafficPolicy: Opt(TrafficPolicySchema),
      }),
    ),
  ),
  exportTo: Opt(Strings()),
  workloadSelector: Opt(WorkloadSelectorSchema),
});

export const DestinationRuleSchema = resourceSchema('DestinationRule', ISTIO_NETWORKING_VERSIONS, DestinationRuleSpecSchema);
export type DestinationRule = Stored<Static<typeof DestinationRuleSchema>>;

export function checkDestinationRule(dr: Static<typeof DestinationRuleSchema>): Problem[] {
  const problems = checkTrafficPolicy(dr.spec.trafficPolicy, ['spec', 'trafficPolicy']);
  const seen = new Map<string, number>();
  (dr.spec.subsets ?? []).forEach((s, i) => {
    const first = seen.get(s.name);
    if (first === undefined) seen.set(s.name, i);
    else {
      const message = `duplicate subset name "${s.name}" (first at spec.subsets[${first}])`;
      problems.push({ path: ['spec', 'subsets', i, 'name'], message });
    }
    problems.push(...checkTrafficPolicy(s.trafficPolicy, ['spec', 'subsets', i, 'trafficPolicy']));
  });
  return problems;
}

function checkTrafficPolicy(tp: TrafficPolicy | undefined, path: FieldPath): Problem[] {
  if (tp === undefined) return [];
  const lb = (lb: TrafficPolicy['loadBalancer'], at: FieldPath): Problem[] => [
    ...atMostOneOf(lb, ['simple', 'consistentHash'], at),
    ...exactlyOneOf(lb?.consistentHash, ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'], [...at, 'consistentHash']),
    ...atMostOneOf(lb?.consistentHash, ['ringHash', 'maglev', 'minimumRingSize'], [...at, 'consistentHash']),
  ];
  return [
    ...lb(tp.loadBalancer, [...path, 'loadBalancer']),
    ...eachOf(tp.portLevelSettings, [...path, 'portLevelSettings'], (p, at) => lb(p.loadBalancer, [...at, 'loadBalancer'])),
  ];
}
