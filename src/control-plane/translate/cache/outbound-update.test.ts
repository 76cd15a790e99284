// The snapshot cache's incremental outbound part (outbound-attribution.ts, snapshot-cache.ts
// update): along random sequences of single-resource changes (add, remove, replace in place or
// re-applied at the end, exportTo changed, a DestinationRule's subsets or traffic policy
// changed) over the translate testdata and a few VirtualServices and DestinationRules written
// here (gRPC, mirrors, aliases, short and long hosts; rules in the client's, the service's and
// the root namespace, private ones, a wildcard host, a workloadSelector), every sidecar's
// snapshot from the cache is deep-equal to translate()'s, and its text is JSON.stringify's of it.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { DestinationRule } from '../../../api/destination-rule.js';
import type { Resource } from '../../../api/kinds.js';
import { parseResources } from '../../../api/load.js';
import type { Snapshot } from '../../../model/snapshot.js';
import { loadResources, MESH, meshRegistry, sidecarOf, testdataDir } from '../testing.js';
import { translate } from '../translate.js';
import { outboundChange, type OutboundChange } from './outbound-attribution.js';
import { SnapshotCache } from './snapshot-cache.js';
import { seededRandom } from '../../../proxy/upstream/testing.js';

const EXTRA = parseResources(
  [
    'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: grpc-ratings, namespace: default}\nspec:\n  hosts: [ratings]\n  http: [{match: [{headers: {content-type: {prefix: application/grpc}}}], route: [{destination: {host: reviews, subset: v2}}]}, {route: [{destination: {host: ratings}}]}]\n',
    'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: mirror-details, namespace: default}\nspec:\n  hosts: [details.default.svc.cluster.local]\n  http: [{route: [{destination: {host: details}}], mirror: {host: reviews, subset: v3}, mirrorPercentage: {value: 50}}]\n',
    'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: alias, namespace: default}\nspec:\n  hosts: [shop.example.com]\n  http: [{route: [{destination: {host: productpage}}]}]\n',
    'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: ledger-private, namespace: other}\nspec:\n  hosts: [ledger]\n  exportTo: ["."]\n  http: [{timeout: 2s, route: [{destination: {host: ledger, port: {number: 9090}}}]}]\n',
    'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: wild, namespace: default}\nspec:\n  hosts: ["*.default.svc.cluster.local"]\n  http: [{timeout: 1s, route: [{destination: {host: reviews}}]}]\n',
    'apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: greeter-to-echo, namespace: default}\nspec:\n  parentRefs: [{group: "", kind: Service, name: greeter}]\n  rules: [{backendRefs: [{name: echo, port: 8080}]}]\n',
    'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: ratings-to-echo, namespace: default}\nspec:\n  hosts: [ratings]\n  http: [{route: [{destination: {host: echo, port: {number: 8080}}}]}]\n',
  ].join('---\n'),
  'extra.yaml',
);

const RULES = parseResources(
  [
    'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews-defaults, namespace: istio-system}\nspec:\n  host: reviews.default.svc.cluster.local\n  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}\n  subsets: [{name: v2, labels: {version: v2}}, {name: v3, labels: {version: v3}, trafficPolicy: {loadBalancer: {simple: RANDOM}}}]\n',
    'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews-client, namespace: other}\nspec:\n  host: reviews.default.svc.cluster.local\n  exportTo: ["."]\n  subsets: [{name: v1, labels: {version: v1}}]\n',
    'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: ratings-hash, namespace: default}\nspec:\n  host: ratings\n  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}\n  subsets: [{name: v2, labels: {version: v2}, trafficPolicy: {connectionPool: {http: {http1MaxPendingRequests: 5}}}}]\n',
    'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: all-default, namespace: istio-system}\nspec:\n  host: "*.default.svc.cluster.local"\n  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n',
    'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews-for-v1, namespace: default}\nspec:\n  host: reviews\n  workloadSelector: {matchLabels: {version: v1}}\n  subsets: [{name: v2, labels: {version: v2}}]\n',
    'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: echo, namespace: default}\nspec:\n  host: echo\n  trafficPolicy: {tls: {mode: DISABLE}}\n  subsets: [{name: v1, labels: {version: v1}}]\n',
    'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: ledger-owner, namespace: other}\nspec:\n  host: ledger\n  subsets: [{name: v1, labels: {version: v1}}]\n  trafficPolicy: {portLevelSettings: [{port: {number: 9090}, loadBalancer: {simple: RANDOM}}]}\n',
  ].join('---\n'),
  'rules.yaml',
);

const FILES = readdirSync(testdataDir()).filter((f) => f.endsWith('.yaml'));
const idOf = (r: Resource) => `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`;

// The same seeded generator (mulberry32) as the balancers' tests: a failing sequence replays from its seed.
const random = seededRandom;

type Subsets = NonNullable<DestinationRule['spec']['subsets']>;
const TRAFFIC_POLICIES: readonly DestinationRule['spec']['trafficPolicy'][] = [
  undefined,
  { loadBalancer: { simple: 'ROUND_ROBIN' } },
  { loadBalancer: { consistentHash: { httpCookie: { name: 'user', ttl: '10s' } } } },
  { tls: { mode: 'DISABLE' } },
  { outlierDetection: { consecutive5xxErrors: 3 } },
];

/** A DestinationRule's spec with a subset added or removed, or its traffic policy changed. */
function changedRule(rule: DestinationRule, rnd: () => number): DestinationRule['spec'] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const subsets: Subsets = rule.spec.subsets ?? [];
  const r = rnd();
  if (r < 0.35 && subsets.length > 0) {
    const gone = pick(subsets);
    return { ...rule.spec, subsets: subsets.filter((x) => x !== gone) };
  }
  if (r < 0.7) {
    const name = pick(['v1', 'v2', 'v3']);
    const subset = { name, labels: { version: name }, ...(rnd() < 0.5 ? { trafficPolicy: { loadBalancer: { simple: 'RANDOM' as const } } } : {}) };
    return { ...rule.spec, subsets: [...subsets.filter((x) => x.name !== name), subset] };
  }
  return { ...rule.spec, trafficPolicy: pick(TRAFFIC_POLICIES) };
}

/** One change at a time, VirtualServices and DestinationRules most often (the ones the cache updates in place). */
function* changes(seed: number, steps: number): Generator<Resource[]> {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const pool = [...FILES.flatMap((f) => loadResources(f)), ...EXTRA, ...RULES];
  const services = pool.filter((r) => r.kind === 'VirtualService');
  const rules = pool.filter((r): r is DestinationRule => r.kind === 'DestinationRule');
  let resources: Resource[] = [];
  for (let i = 0; i < steps; i++) {
    const r = rnd();
    const present = new Set(resources.map(idOf));
    const kind = rnd();
    const absent = (kind < 0.4 ? services : kind < 0.8 ? rules : pool).filter((x) => !present.has(idOf(x)));
    const vsPresent = resources.filter((x) => x.kind === 'VirtualService');
    const drPresent = resources.filter((x): x is DestinationRule => x.kind === 'DestinationRule');
    if (r < 0.3 && absent.length > 0) {
      resources = [...resources, pick(absent)];
    } else if (r < 0.45 && resources.length > 0) {
      const gone = pick(resources);
      resources = resources.filter((x) => x !== gone);
    } else if (drPresent.length > 0 && (rnd() < 0.5 || vsPresent.length === 0)) {
      // Change a DestinationRule: subsets, traffic policy, another rule's spec (other host), exportTo.
      const target = pick(drPresent);
      const c = rnd();
      const spec = c < 0.1 ? { ...target.spec, exportTo: pick([['.'], ['*'], ['other'], undefined]) } : c < 0.25 ? { ...pick(rules).spec } : changedRule(target, rnd);
      const replaced = { ...target, spec } as Resource;
      resources = rnd() < 0.5 ? resources.map((x) => (x === target ? replaced : x)) : [...resources.filter((x) => x !== target), replaced];
    } else if (vsPresent.length > 0) {
      // Replace a VirtualService by another's spec (other hosts, other destinations), or change its exportTo.
      const target = pick(vsPresent);
      const spec = rnd() < 0.2 ? { ...target.spec, exportTo: pick([['.'], ['*'], ['other'], undefined]) } : pick(services).spec;
      const replaced = { ...target, spec } as Resource;
      resources = rnd() < 0.5 ? resources.map((x) => (x === target ? replaced : x)) : [...resources.filter((x) => x !== target), replaced];
    }
    yield resources;
  }
}

const withoutVersion = (s: Snapshot): Omit<Snapshot, 'version'> => {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { version, ...rest } = s;
  return rest;
};

describe('incremental outbound parts equal translate()', () => {
  const registry = meshRegistry();
  const proxies = registry.workloads.map((w) => sidecarOf(registry, w.id));
  for (const seed of [11, 12, 13, 14, 15, 16]) {
    it(`along random single-resource changes (seed ${seed})`, () => {
      const cache = new SnapshotCache(MESH);
      let step = 0;
      for (const resources of changes(seed, 50)) {
        step++;
        for (const proxy of proxies) {
          const got = cache.snapshot({ resources, registry, proxy });
          const expected = translate({ resources, registry, mesh: MESH, proxy }).snapshot;
          assert.deepEqual(withoutVersion(got.snapshot), withoutVersion(expected), `seed ${seed} step ${step} ${proxy.workloadId}`);
          assert.equal(Buffer.concat(got.chunks).toString('utf8'), JSON.stringify(got.snapshot));
        }
      }
      assert.ok(cache.updated > 20, `updated in place ${cache.updated} times of ${cache.computed}`);
      assert.ok(cache.updatedForRules > 10, `updated in place after DestinationRule changes ${cache.updatedForRules} times`);
    });
  }
});

describe('incremental outbound parts: a cluster shared with a host not recomputed', () => {
  it('keeps HTTP/2 that a gRPC route of another host asks for', () => {
    const registry = meshRegistry();
    const [grpcRoute, toEcho] = EXTRA.slice(5);
    const proxy = sidecarOf(registry, 'productpage-v1-0');
    const cache = new SnapshotCache(MESH);
    cache.snapshot({ resources: [grpcRoute], registry, proxy });
    const got = cache.snapshot({ resources: [grpcRoute, toEcho], registry, proxy });
    assert.equal(cache.updated, 1);
    const expected = translate({ resources: [grpcRoute, toEcho], registry, mesh: MESH, proxy }).snapshot;
    assert.deepEqual(withoutVersion(got.snapshot), withoutVersion(expected));
    assert.equal(got.snapshot.clusters?.find((c) => c.name === 'outbound|8080||echo.default.svc.cluster.local')?.protocol, 'http2');
  });
});

describe('incremental outbound parts: a DestinationRule for a host other hosts route to', () => {
  it('rebuilds the subset cluster another host names, with the rule now defining it', () => {
    const registry = meshRegistry();
    const grpc = EXTRA[0]; // ratings' routes send gRPC to reviews subset v2
    const rule = RULES[0]; // reviews' subsets, in the root namespace
    const proxy = sidecarOf(registry, 'productpage-v1-0');
    const cache = new SnapshotCache(MESH);
    cache.snapshot({ resources: [grpc], registry, proxy });
    const v2 = 'outbound|9080|v2|reviews.default.svc.cluster.local';
    for (const resources of [[grpc, rule], [grpc, { ...rule, spec: { ...rule.spec, subsets: [] } } as Resource], [grpc]]) {
      const got = cache.snapshot({ resources, registry, proxy });
      const expected = translate({ resources, registry, mesh: MESH, proxy }).snapshot;
      assert.deepEqual(withoutVersion(got.snapshot), withoutVersion(expected));
    }
    assert.equal(cache.updatedForRules, 3);
    const defined = cache.snapshot({ resources: [grpc, rule], registry, proxy }).snapshot;
    assert.notEqual(defined.clusters?.find((c) => c.name === v2)?.endpoints.length, 0);
  });
});

describe('outboundChange', () => {
  const [grpc, mirror, , , wild] = EXTRA;
  const noRegistryHost = () => false;
  const of = (change: OutboundChange | 'all') => {
    assert.notEqual(change, 'all');
    const c = change as OutboundChange;
    return {
      routes: [...c.routes.exact, ...c.routes.patterns].sort(),
      parents: [...c.parents].sort(),
      clusters: [...c.clusters.exact, ...c.clusters.patterns].sort(),
      destinations: [...c.destinations].sort(),
      peers: c.peers,
    };
  };
  it('names the hosts of the VirtualServices changed, before and after, wildcards as patterns', () => {
    const moved = { ...grpc, spec: mirror.spec } as Resource;
    assert.deepEqual(of(outboundChange([grpc], [moved], noRegistryHost)).routes, ['details.default.svc.cluster.local', 'ratings.default.svc.cluster.local']);
    const change = outboundChange([], [wild], noRegistryHost) as OutboundChange;
    assert.deepEqual(change.routes.patterns, ['*.default.svc.cluster.local']);
    assert.ok(change.routes.matches(['reviews', 'reviews.default.svc.cluster.local']));
    assert.ok(!change.routes.matches(['ledger', 'ledger.other.svc.cluster.local']));
  });
  it('names the host of a DestinationRule changed, before and after, for clusters', () => {
    const [rootReviews, , ratings, wildRule] = RULES;
    const moved = { ...ratings, spec: { ...ratings.spec, host: 'details' } } as Resource;
    const got = of(outboundChange([rootReviews, ratings], [rootReviews, moved], noRegistryHost));
    assert.deepEqual(got.clusters, ['details.default.svc.cluster.local', 'ratings.default.svc.cluster.local']);
    assert.deepEqual(got.routes, []);
    assert.deepEqual(of(outboundChange([], [wildRule], noRegistryHost)).clusters, ['*.default.svc.cluster.local']);
  });
  it('names the hosts of a ServiceEntry, the Service parents of a route, and flags PeerAuthentications', () => {
    const entry = loadResources('service-entry.yaml').find((r) => r.kind === 'ServiceEntry') as Resource & { kind: 'ServiceEntry' };
    const hosts = entry.spec.hosts.map((h) => h.toLowerCase()).sort();
    const got = of(outboundChange([], [entry], noRegistryHost));
    assert.deepEqual([got.routes, got.clusters, got.destinations], [hosts, hosts, hosts]);
    assert.equal(outboundChange([], [entry], (h) => h === hosts[0]), 'all', 'a host that names a registry service');
    assert.deepEqual(of(outboundChange([grpc], [grpc, EXTRA[5]], noRegistryHost)).parents, ['default/greeter']);
    const pa = parseResources('apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: istio-system}\nspec: {mtls: {mode: STRICT}}\n', 'pa.yaml');
    assert.equal(of(outboundChange([], pa, noRegistryHost)).peers, true);
  });
  it('falls back to all for a reordering only', () => {
    assert.equal(outboundChange([grpc, mirror], [mirror, grpc], noRegistryHost), 'all');
    assert.notEqual(outboundChange([grpc], [{ ...grpc, spec: { ...grpc.spec, exportTo: ['.'] } } as Resource], noRegistryHost), 'all');
  });
});
