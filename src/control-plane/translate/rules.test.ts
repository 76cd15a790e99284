// Single rules of translate, each with a few inline resources: lookup orders, failure handling,
// purity. The goldens cover whole scenarios; these pin the decisions one at a time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resource } from '../../api/kinds.js';
import { parseResources } from '../../api/load.js';
import type { Cluster, Route, Snapshot } from '../../model/snapshot.js';
import { validateSnapshot } from '../../proxy/config/validate.js';
import { MemoryRegistry } from '../registry/memory.js';
import type { RegistrySnapshot } from '../registry/types.js';
import { translate, type ProxyNode, type TranslateInput, type TranslateResult } from './index.js';
import { ingressGateway, MESH, meshRegistry, sidecarOf } from './testing.js';

const yaml = (text: string): Resource[] => parseResources(text, 'inline.yaml');

function run(resources: Resource[], proxy?: (r: RegistrySnapshot) => ProxyNode, registry = meshRegistry(), extra: Partial<TranslateInput> = {}): TranslateResult {
  const node = proxy ? proxy(registry) : sidecarOf(registry, 'productpage-v1-0');
  const result = translate({ resources, registry, mesh: MESH, proxy: node, ...extra });
  validateSnapshot(structuredClone(result.snapshot), 'translated');
  return result;
}

const cluster = (s: Snapshot, name: string): Cluster | undefined => (s.clusters ?? []).find((c) => c.name === name);
const routesOf = (s: Snapshot, vhost: string, table = 'outbound'): Route[] | undefined =>
  s.routeConfigs?.find((r) => r.name === table)?.virtualHosts.find((v) => v.name === vhost)?.routes;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const REVIEWS_SPLIT = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 90}
    - {destination: {host: reviews, subset: v2}, weight: 10}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;

describe('translate is pure and deterministic', () => {
  it('does not touch its input, and the same input gives the same snapshot and version', () => {
    const registry = deepFreeze(meshRegistry());
    const input = deepFreeze({ resources: yaml(REVIEWS_SPLIT), registry, mesh: MESH, proxy: sidecarOf(registry, 'productpage-v1-0') });
    const a = translate(input);
    const b = translate(input);
    assert.deepEqual(a, b);
    assert.match(a.snapshot.version, /^[0-9a-f]{16}$/);
  });

  it('changes the version when the configuration changes, and only then', () => {
    const v = (text: string) => run(yaml(text)).snapshot.version;
    assert.equal(v(REVIEWS_SPLIT), v(REVIEWS_SPLIT));
    assert.notEqual(v(REVIEWS_SPLIT), v(REVIEWS_SPLIT.replace('weight: 90', 'weight: 80')));
  });
});

describe('DestinationRule lookup', () => {
  const rule = (ns: string, simple: string) => `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews-${ns}, namespace: ${ns}}
spec:
  host: reviews.default.svc.cluster.local
  trafficPolicy: {loadBalancer: {simple: ${simple}}}
---`;
  const policy = (text: string) => cluster(run(yaml(text), (r) => sidecarOf(r, 'ledger-v1-0')).snapshot, 'outbound|9080||reviews.default.svc.cluster.local')?.loadBalancer?.policy;

  it('prefers the client\'s namespace, then the service\'s, then the root namespace', () => {
    assert.equal(policy(rule('istio-system', 'RANDOM') + rule('default', 'ROUND_ROBIN') + rule('other', 'LEAST_REQUEST')), 'least_request');
    assert.equal(policy(rule('istio-system', 'RANDOM') + rule('default', 'ROUND_ROBIN')), 'round_robin');
    assert.equal(policy(rule('istio-system', 'RANDOM')), 'random');
  });

  it('prefers an exact host over a wildcard in the same namespace', () => {
    const wildcard = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: all, namespace: default}
spec:
  host: "*.default.svc.cluster.local"
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
---`;
    assert.equal(policy(wildcard + rule('default', 'ROUND_ROBIN')), 'round_robin');
    assert.equal(policy(wildcard), 'random');
  });
});

describe('registry data in the snapshot', () => {
  it('marks unhealthy workloads and keeps their labels for subsets', () => {
    const r = new MemoryRegistry();
    r.upsertService({ name: 'reviews', ports: [{ port: 9080, protocol: 'http' }] });
    r.upsertService({ name: 'productpage', ports: [{ port: 9080, protocol: 'http' }] });
    r.registerWorkload({ id: 'pp', service: 'productpage', address: '127.0.0.1', inboundPort: 15006, appPort: 9080 });
    r.registerWorkload({ id: 'r1', service: 'reviews', labels: { version: 'v1' }, address: '10.0.0.1', inboundPort: 15006, appPort: 9080 });
    r.registerWorkload({ id: 'r2', service: 'reviews', labels: { version: 'v2' }, address: '10.0.0.2', inboundPort: 15006, appPort: 9080, healthy: false });
    const { snapshot } = run(yaml(REVIEWS_SPLIT), (reg) => sidecarOf(reg, 'pp'), r.list());
    assert.deepEqual(cluster(snapshot, 'outbound|9080|v2|reviews.default.svc.cluster.local')?.endpoints, [
      { address: '10.0.0.2', port: 15006, labels: { app: 'reviews', version: 'v2' }, healthy: false },
    ]);
    assert.deepEqual(cluster(snapshot, 'outbound|9080|v1|reviews.default.svc.cluster.local')?.endpoints.map((e) => e.address), ['10.0.0.1']);
  });

  it('leaves tcp ports out of the HTTP outbound table and passes TCP through inbound', () => {
    const r = new MemoryRegistry();
    r.upsertService({ name: 'db', ports: [{ port: 5432, protocol: 'tcp' }] });
    r.registerWorkload({ id: 'db-0', service: 'db', address: '10.0.0.5', inboundPort: 15006, appPort: 5432 });
    const { snapshot } = run([], (reg) => sidecarOf(reg, 'db-0'), r.list());
    assert.deepEqual(snapshot.routeConfigs?.find((rc) => rc.name === 'outbound')?.virtualHosts, []);
    // PERMISSIVE (no PeerAuthentication): TCP clients with and without mesh mTLS both get through.
    assert.deepEqual(snapshot.listeners[1], { name: 'inbound', address: '0.0.0.0', port: 15006, direction: 'inbound', mtls: { mode: 'PERMISSIVE' }, protocol: 'tcp', tcpCluster: 'inbound|5432||' });
    assert.deepEqual(cluster(snapshot, 'inbound|5432||'), { name: 'inbound|5432||', protocol: 'tcp', endpoints: [{ address: '127.0.0.1', port: 5432 }] });
  });

  it('gives an unregistered sidecar its outbound side only, and says why', () => {
    const node: ProxyNode = { kind: 'sidecar', workloadId: 'ghost', namespace: 'default', labels: {}, ports: { outbound: 15001, inbound: 15006 } };
    const { snapshot, warnings } = run([], () => node);
    assert.deepEqual(snapshot.listeners.map((l) => l.name), ['outbound']);
    assert.deepEqual(warnings, ['sidecar ghost: the workload is not in the registry; no inbound listener until it registers']);
  });

  it('keeps a registry service over a ServiceEntry claiming its name', () => {
    const { warnings } = run(
      yaml(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: fake-reviews}
spec:
  hosts: [reviews.default.svc.cluster.local]
  ports: [{number: 9080, name: http, protocol: HTTP}]
  resolution: DNS
`),
    );
    assert.deepEqual(warnings, [
      'ServiceEntry default/fake-reviews: spec.hosts[0]: host reviews.default.svc.cluster.local is already defined by a service of the registry; this entry is ignored for it',
    ]);
  });
});

describe('which VirtualService rules reach which proxy', () => {
  it('binds to sidecars through "mesh" only, and filters entries by port and source labels', () => {
    const resources = yaml(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge-only}
spec:
  hosts: [ratings]
  gateways: [some-gateway]
  http:
  - route: [{destination: {host: details}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  gateways: [mesh, some-gateway]
  http:
  - match:
    - {port: 1234}
    - {sourceLabels: {app: reviews}}
    - {gateways: [some-gateway]}
    - {sourceLabels: {app: productpage}, sourceNamespace: default, headers: {x-a: {prefix: b}}}
    route: [{destination: {host: reviews}}]
`);
    const { snapshot } = run(resources);
    assert.deepEqual(routesOf(snapshot, 'ratings.default.svc.cluster.local:9080')?.map((r) => r.name), ['default']);
    assert.deepEqual(
      routesOf(snapshot, 'reviews.default.svc.cluster.local:9080')?.map((r) => r.match),
      [{ headers: [{ name: 'x-a', value: { prefix: 'b' } }] }],
    );
  });
});

describe('Gateway API failure handling', () => {
  const route = (rules: string) =>
    yaml(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: echo}
spec:
  parentRefs: [{group: "", kind: Service, name: echo}]
  rules:
${rules}`);

  it('answers 500 when every backend has weight 0 or a filter is unknown, 503 without backends', () => {
    const { snapshot, warnings } = run(
      route(`
  - matches: [{path: {type: Exact, value: /zero}}]
    backendRefs: [{name: echo-v1, port: 8080, weight: 0}]
  - matches: [{path: {type: Exact, value: /ext}}]
    filters: [{type: ExtensionRef, extensionRef: {group: example.com, kind: Magic, name: m}}]
    backendRefs: [{name: echo-v1, port: 8080}]
  - matches: [{path: {type: Exact, value: /none}}]
`),
    );
    const direct = routesOf(snapshot, 'echo.default.svc.cluster.local:8080')?.map((r) => [r.match?.path, r.direct?.status]);
    // Exact paths, longer first (then rule order).
    assert.deepEqual(direct, [
      [{ exact: '/zero' }, 500],
      [{ exact: '/none' }, 503],
      [{ exact: '/ext' }, 500],
    ]);
    assert.deepEqual(warnings, [
      'HTTPRoute default/echo: spec.rules[1].filters[0].extensionRef: extension filters are not supported; requests matching this rule get 500, as Gateway API requires',
    ]);
  });

  it('keeps the share of an unsupported backend kind, failing it', () => {
    const { snapshot, warnings } = run(
      route(`
  - backendRefs:
    - {name: echo-v1, port: 8080, weight: 3}
    - {group: example.com, kind: Bucket, name: static, port: 80, weight: 1}
`),
    );
    const fwd = routesOf(snapshot, 'echo.default.svc.cluster.local:8080')?.[0].forward;
    assert.deepEqual(fwd?.destinations, [
      { cluster: 'outbound|8080||echo-v1.default.svc.cluster.local', weight: 3 },
      { cluster: 'outbound|80||static', weight: 1 },
    ]);
    assert.deepEqual(cluster(snapshot, 'outbound|80||static'), { name: 'outbound|80||static', endpoints: [] });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /spec\.rules\[0\]\.backendRefs\[1\]: backend kind example\.com\/Bucket is not supported/);
  });
});

describe('gateway servers', () => {
  const gateway = (servers: string) =>
    yaml(`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
${servers}`);

  it('skips a server whose credential is unknown; a second certificate on one port is chosen by SNI; a passthrough server without a tls route is reported', () => {
    const { snapshot, warnings } = run(
      gateway(`
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: SIMPLE, credentialName: missing}
  - port: {number: 443, name: https-b, protocol: HTTPS}
    hosts: [b.example.com]
    tls: {mode: SIMPLE, credentialName: b-cert}
  - port: {number: 443, name: https-c, protocol: HTTPS}
    hosts: [c.example.com]
    tls: {mode: SIMPLE, serverCertificate: /c.pem, privateKey: /c-key.pem}
  - port: {number: 443, name: https-d, protocol: HTTPS}
    hosts: [d.example.com]
    tls: {mode: PASSTHROUGH}
`),
      () => ingressGateway(),
      meshRegistry(),
      { credentials: { 'b-cert': { certificatePem: 'CERT', privateKeyPem: 'KEY' } } },
    );
    assert.deepEqual(snapshot.listeners, [
      {
        name: 'gateway-443',
        address: '0.0.0.0',
        port: 443,
        direction: 'gateway',
        protocol: 'detect',
        routeConfig: 'gateway-443',
        tls: { certificatePem: 'CERT', privateKeyPem: 'KEY', sni: [{ serverNames: ['c.example.com'], certFile: '/c.pem', keyFile: '/c-key.pem' }] },
        // d.example.com passes TLS through, but no VirtualService tls route claims it yet.
        sniRoutes: [],
      },
    ]);
    assert.deepEqual(warnings, [
      'Gateway istio-system/gw: spec.servers[0].tls.credentialName: credential "missing" is not known to the control plane; the server is skipped',
      'Gateway istio-system/gw: spec.servers[3]: PASSTHROUGH: no VirtualService bound to istio-system/gw has a tls route for its hosts; its connections are terminated with the port\'s other certificates',
    ]);
  });

  it('reports a gateway proxy that no Gateway selects', () => {
    const { snapshot, warnings } = run([], () => ({ kind: 'gateway', name: 'lonely', namespace: 'edge', labels: { istio: 'egress' } }));
    assert.deepEqual(snapshot.listeners, []);
    assert.deepEqual(warnings, ['gateway edge/lonely: no Gateway selects its labels; it has no listeners']);
  });
});

describe('odd but valid configuration never breaks translation', () => {
  it('yields a snapshot the proxy accepts', () => {
    const { snapshot, warnings } = run(
      yaml(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: empty}
spec: {hosts: [details]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: delegating}
spec:
  hosts: [ratings]
  http:
  - delegate: {name: ratings-routes}
  - match: [{uri: {regex: "("}}, {method: {prefix: G}}, {scheme: {exact: https}}]
    route: [{destination: {host: ratings}}]
  - redirect: {uri: /x, redirectCode: 399}
  - route:
    - {destination: {host: ratings}, weight: 0}
    - {destination: {host: ratings, port: {number: 1}}, weight: 0}
    headers:
      request:
        set: {":authority": ratings.internal, "bad header": x}
        remove: [":path", host]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings}
spec:
  host: ratings
  trafficPolicy:
    loadBalancer:
      consistentHash: {useSourceIp: false}
    connectionPool:
      tcp: {maxConnections: 0}
      http: {http1MaxPendingRequests: 0, h2UpgradePolicy: UPGRADE}
    outlierDetection: {}
    tunnel: {targetHost: proxy.example, targetPort: 3128}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: no-rules}
spec:
  parentRefs: [{group: "", kind: Service, name: reviews}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: wild}
spec:
  hosts: ["*.wild.example"]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: wild}
spec:
  hosts: ["*.wild.example"]
  http: [{route: [{destination: {host: "*.wild.example"}}]}]
`),
    );
    assert.equal(warnings.length, 12, warnings.join('\n'));
    // A VirtualService with no route for this proxy leaves the service its default route (Istio).
    assert.deepEqual(routesOf(snapshot, 'details.default.svc.cluster.local:9080')?.map((r) => r.name), ['default']);
    // An HTTPRoute without rules has Gateway API's default rule: every path, no backend.
    assert.deepEqual(routesOf(snapshot, 'reviews.default.svc.cluster.local:9080'), [
      { name: 'default/no-rules/0', direct: { status: 503, body: 'HTTPRoute default/no-rules rule 0 has no backend\n' } },
    ]);
    const ratings = routesOf(snapshot, 'ratings.default.svc.cluster.local:9080');
    assert.deepEqual(ratings?.map((r) => r.forward?.rewrite?.authority), ['ratings.internal']);
    assert.deepEqual(ratings?.[0].forward?.destinations.map((d) => d.weight), [1, 1]);
  });
});
