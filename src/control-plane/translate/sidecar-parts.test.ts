// The sidecar snapshot in parts (sidecar-parts.ts) and the cache built on it (cache/) must give
// exactly translate()'s snapshot: checked for every workload of the test mesh against every
// testdata file, alone and with the bookinfo DestinationRules.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Resource } from '../../api/kinds.js';
import { parseResources } from '../../api/load.js';
import type { Snapshot } from '../../model/snapshot.js';
import { SnapshotCache } from './cache/snapshot-cache.js';
import { outboundLabelKeys, resourcesVisibleFrom } from './sidecar-parts.js';
import { loadResources, MESH, meshRegistry, sidecarOf, testdataDir } from './testing.js';
import { translate } from './translate.js';

const FILES = readdirSync(testdataDir()).filter((f) => f.endsWith('.yaml'));
const INPUTS: { name: string; resources: Resource[] }[] = [
  { name: 'no resources', resources: [] },
  ...FILES.map((f) => ({ name: f, resources: loadResources(f) })),
  ...FILES.map((f) => ({ name: `bookinfo DRs + ${f}`, resources: [...loadResources('bookinfo-destination-rules.yaml'), ...loadResources(f)] })),
];

const withoutVersion = (s: Snapshot): Omit<Snapshot, 'version'> => {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { version, ...rest } = s;
  return rest;
};

describe('sidecar snapshots from parts', () => {
  const registry = meshRegistry();
  for (const input of INPUTS) {
    it(`equal translate() for every workload: ${input.name}`, () => {
      const cache = new SnapshotCache(MESH);
      for (const w of registry.workloads) {
        const proxy = sidecarOf(registry, w.id);
        const expected = translate({ resources: input.resources, registry, mesh: MESH, proxy }).snapshot;
        const got = cache.snapshot({ resources: input.resources, registry, proxy });
        assert.deepEqual(withoutVersion(got.snapshot), withoutVersion(expected), `${w.id}`);
        assert.equal(Buffer.concat(got.chunks).toString('utf8'), JSON.stringify(got.snapshot), `${w.id}: chunks are the snapshot's JSON`);
        // The claim the cache rests on: resources not exported to the namespace change nothing.
        const visibleOnly = translate({ resources: resourcesVisibleFrom(input.resources, w.namespace), registry, mesh: MESH, proxy }).snapshot;
        assert.deepEqual(visibleOnly, expected, `${w.id}: invisible resources matter`);
      }
    });
  }

  it('a workload that is not registered yet gets the outbound side only, as from translate()', () => {
    const proxy = { kind: 'sidecar' as const, workloadId: 'not-there', namespace: 'default', labels: { app: 'x' }, ports: { outbound: 15001, inbound: 15006 } };
    const expected = translate({ resources: [], registry, mesh: MESH, proxy });
    const got = new SnapshotCache(MESH).snapshot({ resources: [], registry, proxy });
    assert.deepEqual(withoutVersion(got.snapshot), withoutVersion(expected.snapshot));
    assert.deepEqual([...got.warnings].sort(), [...expected.warnings].sort());
  });
});

describe('snapshot cache reuse', () => {
  const registry = meshRegistry();
  const productpage = sidecarOf(registry, 'productpage-v1-0');
  const details = sidecarOf(registry, 'details-v1-0');
  const ledger = sidecarOf(registry, 'ledger-v1-0');

  it('computes the outbound side once per namespace and shares its JSON', () => {
    const cache = new SnapshotCache(MESH);
    const a = cache.snapshot({ resources: [], registry, proxy: productpage });
    const b = cache.snapshot({ resources: [], registry, proxy: details });
    cache.snapshot({ resources: [], registry, proxy: ledger });
    assert.equal(cache.computed, 2);
    assert.equal(a.chunks[1], b.chunks[1], 'the outbound route table is one Buffer');
    assert.notEqual(a.snapshot.version, b.snapshot.version);
  });

  it('a change private to another namespace leaves this namespace\'s part and versions alone', () => {
    const cache = new SnapshotCache(MESH);
    const before = cache.snapshot({ resources: [], registry, proxy: productpage });
    const other = parseResources(
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: ledger, namespace: other}\nspec:\n  hosts: [ledger]\n  exportTo: ["."]\n  http: [{timeout: 3s, route: [{destination: {host: ledger}}]}]\n',
      'other.yaml',
    );
    const after = cache.snapshot({ resources: other, registry, proxy: productpage });
    assert.equal(cache.computed, 1);
    assert.equal(after.snapshot.version, before.snapshot.version);
    const changed = cache.snapshot({ resources: other, registry, proxy: ledger });
    assert.equal(cache.computed, 2);
    assert.match(JSON.stringify(changed.snapshot), /"timeoutMs":3000/);
  });

  it('a new registry snapshot recomputes', () => {
    const cache = new SnapshotCache(MESH);
    cache.snapshot({ resources: [], registry, proxy: productpage });
    cache.snapshot({ resources: [], registry: meshRegistry(), proxy: productpage });
    assert.equal(cache.computed, 2);
  });

  it('workloads whose labels differ on a sourceLabels key are separate classes, others share', () => {
    const vs = parseResources(
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews, namespace: default}\nspec:\n  hosts: [reviews]\n' +
        '  http:\n  - match: [{sourceLabels: {app: productpage}}]\n    timeout: 2s\n    route: [{destination: {host: reviews}}]\n  - route: [{destination: {host: reviews}}]\n',
      'vs.yaml',
    );
    assert.deepEqual(outboundLabelKeys(vs), ['app']);
    const cache = new SnapshotCache(MESH);
    for (const id of ['productpage-v1-0', 'details-v1-0', 'reviews-v1-0', 'reviews-v2-0']) {
      const proxy = sidecarOf(registry, id);
      const got = cache.snapshot({ resources: vs, registry, proxy });
      assert.deepEqual(withoutVersion(got.snapshot), withoutVersion(translate({ resources: vs, registry, mesh: MESH, proxy }).snapshot), id);
    }
    // productpage, details, reviews (v1 and v2 share app=reviews)
    assert.equal(cache.computed, 3);
  });
});
