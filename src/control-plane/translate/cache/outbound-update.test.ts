// The snapshot cache's incremental outbound part (outbound-attribution.ts, snapshot-cache.ts
// update): along random sequences of single-resource changes (add, remove, replace in place or
// re-applied at the end, exportTo changed) over the translate testdata and a few VirtualServices
// written here (gRPC, mirrors, aliases, short and long hosts), every sidecar's snapshot from the
// cache is deep-equal to translate()'s, and its text is JSON.stringify's of it.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Resource } from '../../../api/kinds.js';
import { parseResources } from '../../../api/load.js';
import type { Snapshot } from '../../../model/snapshot.js';
import { loadResources, MESH, meshRegistry, sidecarOf, testdataDir } from '../testing.js';
import { translate } from '../translate.js';
import { changedHosts } from './outbound-attribution.js';
import { SnapshotCache } from './snapshot-cache.js';

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

const FILES = readdirSync(testdataDir()).filter((f) => f.endsWith('.yaml'));
const idOf = (r: Resource) => `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`;

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One change at a time, VirtualServices most often (the ones the cache updates in place). */
function* changes(seed: number, steps: number): Generator<Resource[]> {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const pool = [...FILES.flatMap((f) => loadResources(f)), ...EXTRA];
  const services = pool.filter((r) => r.kind === 'VirtualService');
  let resources: Resource[] = [];
  for (let i = 0; i < steps; i++) {
    const r = rnd();
    const present = new Set(resources.map(idOf));
    const absent = (rnd() < 0.7 ? services : pool).filter((x) => !present.has(idOf(x)));
    const vsPresent = resources.filter((x) => x.kind === 'VirtualService');
    if (r < 0.3 && absent.length > 0) {
      resources = [...resources, pick(absent)];
    } else if (r < 0.45 && resources.length > 0) {
      const gone = pick(resources);
      resources = resources.filter((x) => x !== gone);
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
      for (const resources of changes(seed, 40)) {
        step++;
        for (const proxy of proxies) {
          const got = cache.snapshot({ resources, registry, proxy });
          const expected = translate({ resources, registry, mesh: MESH, proxy }).snapshot;
          assert.deepEqual(withoutVersion(got.snapshot), withoutVersion(expected), `seed ${seed} step ${step} ${proxy.workloadId}`);
          assert.equal(Buffer.concat(got.chunks).toString('utf8'), JSON.stringify(got.snapshot));
        }
      }
      assert.ok(cache.updated > 20, `updated in place ${cache.updated} times of ${cache.computed}`);
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

describe('changedHosts', () => {
  const [grpc, mirror, , , wild] = EXTRA;
  it('names the hosts of the VirtualServices changed, before and after', () => {
    const moved = { ...grpc, spec: mirror.spec } as Resource;
    assert.deepEqual([...(changedHosts([grpc], [moved]) as Set<string>)].sort(), ['details.default.svc.cluster.local', 'ratings.default.svc.cluster.local']);
  });
  it('falls back to all for wildcards, other kinds, exportTo changes and reordering', () => {
    assert.equal(changedHosts([], [wild]), 'all');
    assert.equal(changedHosts([], loadResources('bookinfo-destination-rules.yaml').slice(0, 1)), 'all');
    assert.equal(changedHosts([grpc], [{ ...grpc, spec: { ...grpc.spec, exportTo: ['.'] } } as Resource]), 'all');
    assert.equal(changedHosts([grpc, mirror], [mirror, grpc]), 'all');
  });
});
