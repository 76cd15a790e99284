// The property delta pushes rest on: for any two snapshots the cache gives one proxy, the snapshot
// held plus the delta between them (discovery/delta.ts, applied by discovery/apply-delta.ts) is
// exactly (deep-equal) the second snapshot as a full push carries it. Checked along random
// sequences of resource and registry changes over the translate testdata, for every sidecar of the
// test mesh and a gateway, with the trust bundle riding along as the control plane adds it.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Resource } from '../../../api/kinds.js';
import { applyDelta } from '../../discovery/apply-delta.js';
import { encodeDelta } from '../../discovery/delta.js';
import { layoutOf, snapshotOfLayout, withScalar, type SnapshotLayout } from '../../discovery/layout.js';
import type { RegistrySnapshot } from '../../registry/types.js';
import { ingressGateway, loadResources, MESH, meshRegistry, sidecarOf, testdataDir } from '../testing.js';
import type { ProxyNode } from '../types.js';
import { SnapshotCache } from './snapshot-cache.js';
import { seededRandom } from '../../../proxy/upstream/testing.js';

const FILES = readdirSync(testdataDir()).filter((f) => f.endsWith('.yaml'));
const BUNDLES = ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', '-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n'];

// The same seeded generator (mulberry32) as the balancers' tests: a failing sequence replays from its seed.
const random = seededRandom;

interface Held {
  layout: SnapshotLayout;
  snapshot: unknown;
}

/** Step a random world: add a testdata file's resources, drop some resources, drop or restore a workload, rotate the bundle. */
function* worlds(seed: number, steps: number): Generator<{ resources: Resource[]; registry: RegistrySnapshot; bundle: string }> {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const full = meshRegistry();
  let resources: Resource[] = [];
  let registry = full;
  let bundle = BUNDLES[0];
  for (let i = 0; i < steps; i++) {
    const r = rnd();
    if (r < 0.4) {
      resources = [...resources, ...loadResources(pick(FILES))];
    } else if (r < 0.65 && resources.length > 0) {
      const drop = new Set(resources.filter(() => rnd() < 0.3));
      resources = resources.filter((x) => !drop.has(x));
    } else if (r < 0.85) {
      const gone = pick(full.workloads).id;
      registry = registry === full ? { services: full.services, workloads: full.workloads.filter((w) => w.id !== gone) } : full;
    } else {
      bundle = pick(BUNDLES);
    }
    yield { resources, registry, bundle };
  }
}

function deltaOf(base: SnapshotLayout, next: SnapshotLayout): unknown {
  const chunks = encodeDelta(base, next);
  assert.ok(chunks !== undefined, 'the delta can be expressed');
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

describe('delta pushes: held snapshot + delta = full snapshot', () => {
  const registry = meshRegistry();
  const proxies: ProxyNode[] = [...registry.workloads.map((w) => sidecarOf(registry, w.id)), ingressGateway()];

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`along a random sequence of changes (seed ${seed})`, () => {
      const cache = new SnapshotCache(MESH);
      const held = new Map<ProxyNode, Held>();
      let deltas = 0;
      for (const world of worlds(seed, 14)) {
        for (const proxy of proxies) {
          const encoded = cache.snapshot({ resources: world.resources, registry: world.registry, proxy });
          const layout = withScalar(encoded.layout, 'trustBundlePem', world.bundle);
          const fullText = Buffer.concat(encoded.chunks).toString('utf8');
          const full = { ...(JSON.parse(fullText) as object), trustBundlePem: world.bundle };
          assert.deepEqual(snapshotOfLayout(layout), full, 'the layout describes the full snapshot');
          const before = held.get(proxy);
          if (before !== undefined) {
            const frozen = JSON.stringify(before.snapshot);
            const rebuilt = applyDelta(before.snapshot, deltaOf(before.layout, layout));
            assert.deepEqual(rebuilt, full, `${JSON.stringify(proxy)}`);
            assert.equal(JSON.stringify(before.snapshot), frozen, 'the held snapshot is left as it was');
            deltas++;
          }
          held.set(proxy, { layout, snapshot: full });
        }
      }
      assert.ok(deltas > 100);
    });
  }

  it('sends only what changed: one virtual host of a large route table, not the table', () => {
    const hosts = Array.from({ length: 200 }, (_, i) => ({ name: `svc-${i}:80`, domains: [`svc-${i}`], routes: [{ match: { path: { prefix: '/' } }, route: { destinations: [{ cluster: `c${i}` }] } }] }));
    const snapshot = (timeoutMs: number) => ({
      version: `v${timeoutMs}`,
      listeners: [],
      routeConfigs: [{ name: 'outbound', virtualHosts: hosts.map((h, i) => (i === 7 ? { ...h, routes: [{ ...h.routes[0], route: { ...h.routes[0].route, timeoutMs } }] } : h)) }],
    });
    const a = snapshot(1000);
    const b = snapshot(2000);
    // Cast: the test's route shape is the model's, written loosely.
    const la = layoutOf(a as never);
    const lb = layoutOf(b as never);
    const text = Buffer.concat(encodeDelta(la, lb) ?? []).toString('utf8');
    assert.ok(text.length < 400, `delta is ${text.length} bytes: ${text}`);
    assert.match(text, /"patch":\[\{"name":"outbound","virtualHosts":\{"put":\[\{"name":"svc-7:80"/);
    assert.deepEqual(applyDelta(a, JSON.parse(text)), b);
  });

  it('new and removed entries carry the new order; removed collections and members are unset', () => {
    const a = { version: '1', drainTimeoutMs: 10, listeners: [{ name: 'l1' }], clusters: [{ name: 'a' }, { name: 'b' }, { name: 'c' }], routeConfigs: [] };
    const b = { version: '2', listeners: [{ name: 'l1' }], clusters: [{ name: 'c' }, { name: 'a', x: 1 }, { name: 'd' }] };
    const delta = JSON.parse(Buffer.concat(encodeDelta(layoutOf(a as never), layoutOf(b as never)) ?? []).toString('utf8'));
    assert.deepEqual(delta.collections.clusters.names, ['c', 'a', 'd']);
    assert.deepEqual([...delta.unset].sort(), ['drainTimeoutMs', 'routeConfigs']);
    assert.deepEqual(applyDelta(a, delta), b);
  });
  it('an entry added and one removed in a long list: their names and indexes, not the new list', () => {
    const names = Array.from({ length: 300 }, (_, i) => `outbound|80||svc-${String(i).padStart(3, '0')}`);
    const a = { version: '1', clusters: names.map((name) => ({ name, endpoints: [] })) };
    const addedName = 'outbound|80||svc-100a';
    const b = { version: '2', clusters: [...a.clusters.slice(0, 5), ...a.clusters.slice(6, 101), { name: addedName, endpoints: [] }, ...a.clusters.slice(101)] };
    const text = Buffer.concat(encodeDelta(layoutOf(a as never), layoutOf(b as never)) ?? []).toString('utf8');
    const delta = JSON.parse(text);
    assert.equal(delta.collections.clusters.names, undefined);
    assert.deepEqual(delta.collections.clusters.removed, [names[5]]);
    assert.deepEqual(delta.collections.clusters.added, [[100, addedName]]);
    assert.ok(text.length < 300, `delta is ${text.length} bytes: ${text}`);
    assert.deepEqual(applyDelta(a, delta), b);
  });
});

describe('applyDelta refuses what does not fit, with the path', () => {
  const base = { version: '1', listeners: [], clusters: [{ name: 'a' }] };
  it('a new entry without the new order', () => {
    assert.throws(() => applyDelta(base, { collections: { clusters: { put: [{ name: 'b' }] } } }), /delta\.collections\.clusters: adds "b" without the new order/);
  });
  it('a patch of an entry the base lacks', () => {
    assert.throws(() => applyDelta(base, { collections: { clusters: { patch: [{ name: 'z', virtualHosts: {} }] } } }), /clusters\.patch\[0\]: no entry "z"/);
  });
  it('an order naming an entry nobody has', () => {
    assert.throws(() => applyDelta(base, { collections: { clusters: { names: ['a', 'q'] } } }), /clusters\.names\[1\]: no entry named "q"/);
  });
  it('an added index out of order, or a put the new order does not list', () => {
    const two = { version: '1', clusters: [{ name: 'a' }, { name: 'b' }] };
    assert.throws(() => applyDelta(two, { collections: { clusters: { put: [{ name: 'x' }, { name: 'y' }], added: [[1, 'x'], [0, 'y']] } } }), /clusters\.added\[1\]: index 0 out of order/);
    assert.throws(() => applyDelta(two, { collections: { clusters: { put: [{ name: 'x' }], removed: ['a'] } } }), /clusters: puts "x", which the new order does not list/);
  });
  it('a held snapshot with two entries of one name', () => {
    assert.throws(() => applyDelta({ clusters: [{ name: 'a' }, { name: 'a' }] }, { collections: { clusters: {} } }), /two entries named "a"/);
  });
});
