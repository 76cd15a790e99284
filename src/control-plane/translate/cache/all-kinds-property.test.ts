// The snapshot cache's incremental outbound part along random sequences of changes of every kind
// the attribution handles (outbound-attribution.ts, peer-attribution.ts): VirtualServices (exact,
// short and wildcard hosts, aliases, subsets, gRPC, mirrors), DestinationRules (exact and
// wildcard hosts, subsets, TLS, a workloadSelector), ServiceEntries (hosts and endpoints added and
// removed, wildcard hosts, MESH_INTERNAL with a workload selector), HTTPRoutes and GRPCRoutes with
// Service parents (producer and consumer routes), PeerAuthentications at mesh, namespace and
// workload level (DISABLE too, port-level), and kinds the outbound part does not read; each
// created, replaced in place or re-applied at the end (so with a new age), its exportTo changed,
// or deleted. After every step every sidecar's snapshot from the cache deep-equals translate()'s.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resource } from '../../../api/kinds.js';
import { validateResource } from '../../../api/load.js';
import type { Snapshot } from '../../../model/snapshot.js';
import { seededRandom } from '../../../proxy/upstream/testing.js';
import { MESH, meshRegistry, sidecarOf } from '../testing.js';
import { translate } from '../translate.js';
import { SnapshotCache } from './snapshot-cache.js';

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const some = <T>(rnd: Rnd, xs: readonly T[], min = 1): T[] => {
  const out = xs.filter(() => rnd() < 0.4);
  while (out.length < min) out.push(pick(rnd, xs.filter((x) => !out.includes(x))));
  return out;
};
const maybe = <T>(rnd: Rnd, p: number, value: () => T): T | undefined => (rnd() < p ? value() : undefined);
const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const NAMESPACES = ['default', 'other'];
const EXPORT_TO: readonly (string[] | undefined)[] = [undefined, undefined, ['.'], ['*'], ['other'], ['default'], ['~']];
const SERVICE_HOSTS = ['reviews', 'ratings', 'details.default.svc.cluster.local', 'echo', 'greeter', 'ledger.other.svc.cluster.local'];
// 'db.internal.' and 'db.internal' are two catalog services claiming the same domains.
const ENTRY_HOSTS = ['api.example.com', 'db.internal', 'db.internal.', '*.wild.example.com', 'pay.example.com'];
const ALIASES = ['shop.example.com', 'x.wild.example.com'];
const WILDCARDS = ['*.default.svc.cluster.local', '*', '*.example.com'];

function virtualService(rnd: Rnd, name: string, namespace: string): unknown {
  const destination = () =>
    clean({
      host: pick(rnd, [...SERVICE_HOSTS, ...ENTRY_HOSTS.filter((h) => !h.startsWith('*')), 'nowhere.example.com']),
      subset: maybe(rnd, 0.3, () => pick(rnd, ['v1', 'v2', 'v3'])),
      port: maybe(rnd, 0.2, () => ({ number: pick(rnd, [80, 9080, 8080]) })),
    });
  const http = Array.from({ length: 1 + Math.floor(rnd() * 2) }, () =>
    clean({
      match: maybe(rnd, 0.4, () => [rnd() < 0.5 ? { headers: { 'content-type': { prefix: 'application/grpc' } } } : { uri: { prefix: '/api' } }]),
      route: [{ destination: destination() }],
      timeout: maybe(rnd, 0.3, () => `${1 + Math.floor(rnd() * 5)}s`),
      mirror: maybe(rnd, 0.2, destination),
    }),
  );
  const hosts = some(rnd, [...SERVICE_HOSTS, ...WILDCARDS, ...ENTRY_HOSTS, ...ALIASES]).slice(0, 2);
  return { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace }, spec: clean({ hosts, exportTo: pick(rnd, EXPORT_TO), http }) };
}

function destinationRule(rnd: Rnd, name: string, namespace: string): unknown {
  const subsets = some(rnd, ['v1', 'v2', 'v3'], 0).map((v) => clean({ name: v, labels: { version: v }, trafficPolicy: maybe(rnd, 0.3, () => ({ loadBalancer: { simple: 'RANDOM' } })) }));
  const trafficPolicy = maybe(rnd, 0.7, () =>
    pick(rnd, [
      { loadBalancer: { simple: 'LEAST_REQUEST' } },
      { tls: { mode: 'ISTIO_MUTUAL' } },
      { tls: { mode: 'DISABLE' } },
      { connectionPool: { http: { http1MaxPendingRequests: 1 + Math.floor(rnd() * 100) } } },
      { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } },
    ]),
  );
  const selector = namespace !== 'istio-system' && rnd() < 0.15 ? { matchLabels: { version: 'v1' } } : undefined;
  const host = pick(rnd, [...SERVICE_HOSTS, ...WILDCARDS, 'api.example.com', 'db.internal', '*.wild.example.com']);
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name, namespace },
    spec: clean({ host, exportTo: selector ? undefined : pick(rnd, EXPORT_TO), subsets: subsets.length > 0 ? subsets : undefined, trafficPolicy, workloadSelector: selector }),
  };
}

function serviceEntry(rnd: Rnd, name: string, namespace: string): unknown {
  const internal = rnd() < 0.3;
  const selected = internal && rnd() < 0.5;
  const endpoints = selected ? undefined : maybe(rnd, 0.6, () => Array.from({ length: 1 + Math.floor(rnd() * 2) }, (_, i) => clean({ address: `10.0.${Math.floor(rnd() * 3)}.${i + 1}`, labels: maybe(rnd, 0.3, () => ({ version: 'v1' })) })));
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace },
    spec: clean({
      hosts: some(rnd, ENTRY_HOSTS).slice(0, 2),
      ports: rnd() < 0.5 ? [{ number: 80, name: 'http', protocol: 'HTTP' }] : [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 8443, name: 'grpc', protocol: 'GRPC' }],
      location: internal ? 'MESH_INTERNAL' : pick(rnd, [undefined, 'MESH_EXTERNAL']),
      resolution: endpoints ? 'STATIC' : pick(rnd, ['DNS', 'NONE']),
      endpoints,
      workloadSelector: selected ? { labels: { version: pick(rnd, ['v1', 'v2']) } } : undefined,
      exportTo: pick(rnd, EXPORT_TO),
      subjectAltNames: maybe(rnd, 0.2, () => ['spiffe://cluster.local/ns/default/sa/ext']),
    }),
  };
}

function gatewayApiRoute(rnd: Rnd, name: string, namespace: string, grpc: boolean): unknown {
  const parentName = grpc ? pick(rnd, ['greeter', 'echo']) : pick(rnd, ['reviews', 'ratings', 'echo']);
  const parentRefs = [
    clean({ group: '', kind: 'Service', name: parentName, namespace: namespace === 'default' ? pick(rnd, [undefined, 'default']) : 'default', port: maybe(rnd, 0.3, () => (grpc ? 50051 : 9080)) }),
    ...(rnd() < 0.2 ? [{ name: 'some-gateway' }] : []),
  ];
  const backends = grpc ? [{ name: 'greeter', port: 50051 }, { name: 'echo', port: 8080 }] : [{ name: 'reviews', port: 9080 }, { name: 'echo-v1', port: 8080 }, { name: 'echo-v2', port: 8080 }, { name: 'ratings', port: 9080 }];
  const rules = Array.from({ length: 1 + Math.floor(rnd() * 2) }, () =>
    clean({
      matches: grpc ? undefined : maybe(rnd, 0.4, () => [{ path: { type: 'PathPrefix', value: pick(rnd, ['/a', '/b']) } }]),
      backendRefs: some(rnd, backends).map((b) => clean({ ...b, namespace: namespace === 'default' ? undefined : 'default', weight: maybe(rnd, 0.3, () => Math.floor(rnd() * 3)) })),
    }),
  );
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: grpc ? 'GRPCRoute' : 'HTTPRoute', metadata: { name, namespace }, spec: { parentRefs, rules } };
}

function peerAuthentication(rnd: Rnd, name: string): unknown {
  const level = pick(rnd, ['mesh', 'namespace', 'workload']);
  const namespace = level === 'mesh' ? 'istio-system' : pick(rnd, NAMESPACES);
  const mode = () => pick(rnd, ['STRICT', 'PERMISSIVE', 'DISABLE', 'UNSET']);
  const selector = level === 'workload' ? { matchLabels: { version: pick(rnd, ['v1', 'v2', 'v3']) } } : undefined;
  const portLevelMtls = selector && rnd() < 0.3 ? { [String(9081 + Math.floor(rnd() * 11))]: { mode: mode() } } : undefined;
  return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace }, spec: clean({ selector, mtls: { mode: mode() }, portLevelMtls }) };
}

function unread(rnd: Rnd, name: string): unknown {
  return rnd() < 0.5
    ? { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name, namespace: 'default' }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } }
    : { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: 'default' }, spec: { action: 'ALLOW', rules: [{ from: [{ source: { namespaces: [pick(rnd, NAMESPACES)] } }] }] } };
}

const KINDS = ['VirtualService', 'DestinationRule', 'ServiceEntry', 'HTTPRoute', 'GRPCRoute', 'PeerAuthentication', 'unread'] as const;

function generate(rnd: Rnd, kind: (typeof KINDS)[number], name: string): Resource {
  const namespace = pick(rnd, NAMESPACES);
  const raw =
    kind === 'VirtualService' ? virtualService(rnd, name, namespace)
    : kind === 'DestinationRule' ? destinationRule(rnd, name, pick(rnd, [...NAMESPACES, 'istio-system']))
    : kind === 'ServiceEntry' ? serviceEntry(rnd, name, namespace)
    : kind === 'HTTPRoute' ? gatewayApiRoute(rnd, name, namespace, false)
    : kind === 'GRPCRoute' ? gatewayApiRoute(rnd, name, namespace, true)
    : kind === 'PeerAuthentication' ? peerAuthentication(rnd, name)
    : unread(rnd, name);
  return validateResource(raw, { file: 'generated', docIndex: 0 });
}

const idOf = (r: Resource) => `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`;

/** One change at a time: create, replace (in place or re-applied at the end), change exportTo, or delete. */
function* changes(seed: number, steps: number): Generator<{ resources: Resource[]; kind: string }> {
  const rnd = seededRandom(seed);
  let resources: Resource[] = [];
  for (let i = 0; i < steps; i++) {
    const kind = pick(rnd, KINDS);
    const mine = resources.filter((r) => (kind === 'unread' ? r.kind === 'Gateway' || r.kind === 'AuthorizationPolicy' : r.kind === kind));
    const op = rnd();
    if (mine.length === 0 || (op < 0.35 && mine.length < 4)) {
      resources = [...resources, generate(rnd, kind, `${kind.toLowerCase()}-${i}`)];
    } else if (op < 0.5) {
      const gone = pick(rnd, mine);
      resources = resources.filter((r) => r !== gone);
    } else {
      const target = pick(rnd, mine);
      const fresh = generate(rnd, kind, target.metadata.name);
      // Keep its identity (name, namespace); sometimes only its exportTo changes.
      const spec = 'exportTo' in target.spec && rnd() < 0.25 ? { ...target.spec, exportTo: pick(rnd, EXPORT_TO) } : fresh.spec;
      const replaced = { ...target, spec } as Resource;
      resources = rnd() < 0.5 ? resources.map((r) => (r === target ? replaced : r)) : [...resources.filter((r) => r !== target), replaced];
    }
    assert.equal(new Set(resources.map(idOf)).size, resources.length);
    yield { resources, kind };
  }
}

const withoutVersion = (s: Snapshot): Omit<Snapshot, 'version'> => {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { version, ...rest } = s;
  return rest;
};

describe('incremental outbound parts equal translate() along changes of every kind', () => {
  const registry = meshRegistry();
  const proxies = registry.workloads.map((w) => sidecarOf(registry, w.id));
  for (const seed of [21, 22, 23, 24, 25, 26]) {
    it(`seed ${seed}`, () => {
      const cache = new SnapshotCache(MESH);
      let step = 0;
      for (const { resources, kind } of changes(seed, 60)) {
        step++;
        for (const proxy of proxies) {
          const got = cache.snapshot({ resources, registry, proxy });
          const expected = translate({ resources, registry, mesh: MESH, proxy }).snapshot;
          assert.deepEqual(withoutVersion(got.snapshot), withoutVersion(expected), `seed ${seed} step ${step} (${kind}) ${proxy.workloadId}`);
          assert.equal(Buffer.concat(got.chunks).toString('utf8'), JSON.stringify(got.snapshot));
        }
      }
      // Most changes are updates in place, not whole recomputations.
      assert.ok(cache.updated > cache.computed * 0.6, `updated in place ${cache.updated} times of ${cache.computed}`);
    });
  }
});

describe('incremental outbound parts: cases the random walk seldom reaches', () => {
  const registry = meshRegistry();
  const proxy = sidecarOf(registry, 'productpage-v1-0');
  const v = (raw: unknown) => validateResource(raw, { file: 'case', docIndex: 0 });
  const walk = (steps: Resource[][]) => {
    const cache = new SnapshotCache(MESH);
    for (const [i, resources] of steps.entries()) {
      const got = cache.snapshot({ resources, registry, proxy });
      assert.deepEqual(withoutVersion(got.snapshot), withoutVersion(translate({ resources, registry, mesh: MESH, proxy }).snapshot), `step ${i + 1}`);
    }
    assert.equal(cache.updated, steps.length - 1, 'every step after the first an update in place');
  };
  const entry = (name: string, host: string) =>
    v({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: 'default' }, spec: { hosts: [host], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' } });

  it('a route of an unchanged host to a host a ServiceEntry then defines (another port, another cluster)', () => {
    const vs = v({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'to-api', namespace: 'default' }, spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'api.example.com' } }] }] } });
    const se = entry('api', 'api.example.com');
    walk([[vs], [vs, se], [vs], [vs, se]]);
  });
  it('the domains of a ServiceEntry host that another entry frees or takes', () => {
    const dotted = entry('dotted', 'db.internal.');
    const plain = entry('plain', 'db.internal');
    walk([[dotted], [dotted, plain], [dotted], [plain, dotted]]);
  });
  it('a PeerAuthentication that disables mTLS on some workloads of a service, then requires it', () => {
    const pa = (mode: string, version: string) =>
      v({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'reviews', namespace: 'default' }, spec: { selector: { matchLabels: { version } }, mtls: { mode } } });
    const mesh = v({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } });
    walk([[], [pa('DISABLE', 'v2')], [pa('DISABLE', 'v2'), mesh], [pa('STRICT', 'v2'), mesh], [mesh], []]);
  });
});
