import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostCovers, hostIntersection, resolveHost } from './hosts.js';
import { boundGateways, exportRank, selects } from './visibility.js';

describe('host names', () => {
  it('resolves short names against the writer\'s namespace and keeps dotted names', () => {
    assert.equal(resolveHost('Reviews', 'prod'), 'reviews.prod.svc.cluster.local');
    assert.equal(resolveHost('reviews.default', 'prod'), 'reviews.default');
    assert.equal(resolveHost('*.example.com', 'prod'), '*.example.com');
    assert.equal(resolveHost('*', 'prod'), '*');
  });

  it('matches wildcards as Istio does', () => {
    assert.ok(hostCovers('*', 'a.b'));
    assert.ok(hostCovers('*.example.com', 'a.example.com'));
    assert.ok(hostCovers('*.example.com', 'a.b.example.com'));
    assert.ok(hostCovers('*.example.com', '*.a.example.com'));
    assert.ok(!hostCovers('*.example.com', 'example.com'));
    assert.ok(!hostCovers('a.example.com', '*.example.com'));
    assert.equal(hostIntersection('*', 'bookinfo.com'), 'bookinfo.com');
    assert.equal(hostIntersection('*.com', '*.example.com'), '*.example.com');
    assert.equal(hostIntersection('a.com', 'b.com'), undefined);
  });
});

describe('visibility', () => {
  it('ranks exportTo: private, then named, then public; "~" and other namespaces hide', () => {
    assert.equal(exportRank(['.'], 'a', 'a'), 0);
    assert.equal(exportRank(['.'], 'a', 'b'), undefined);
    assert.equal(exportRank(['b', 'c'], 'a', 'b'), 1);
    assert.equal(exportRank(undefined, 'a', 'b'), 2);
    assert.equal(exportRank([], 'a', 'b'), 2);
    assert.equal(exportRank(['~'], 'a', 'a'), undefined);
  });

  it('selects by labels and qualifies gateway names', () => {
    assert.ok(selects(undefined, {}));
    assert.ok(selects({ app: 'a' }, { app: 'a', version: 'v1' }));
    assert.ok(!selects({ app: 'a', version: 'v2' }, { app: 'a', version: 'v1' }));
    assert.deepEqual(boundGateways(undefined, 'ns'), ['mesh']);
    assert.deepEqual(boundGateways(['gw', 'other/gw', 'mesh'], 'ns'), ['ns/gw', 'other/gw', 'mesh']);
  });
});
