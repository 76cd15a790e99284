import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from '../../model/snapshot.js';
import { buildClusterRuntime } from './cluster-runtime.js';
import { fakeClock, seededRandom, tally } from './testing.js';
import type { TryOutcome } from './types.js';

const S503: TryOutcome = { kind: 'response', status: 503 };

function cluster(overrides: Partial<Cluster> = {}): Cluster {
  return {
    name: 'reviews',
    endpoints: [
      { address: '127.0.0.1', port: 9081, labels: { app: 'reviews', version: 'v1' } },
      { address: '127.0.0.1', port: 9082, weight: 3, labels: { app: 'reviews', version: 'v2' } },
      { address: '127.0.0.1', port: 9083, labels: { app: 'reviews', version: 'v2', zone: 'b' }, healthy: false },
    ],
    subsets: [
      { name: 'v1', labels: { version: 'v1' } },
      { name: 'v2', labels: { version: 'v2' } },
      { name: 'v3', labels: { version: 'v3' } },
    ],
    outlierDetection: { maxEjectionPercent: 100 },
    ...overrides,
  };
}

const opts = { random: seededRandom(3), outlierTimer: false };

test('endpoint states come from the snapshot: key, weight, health', () => {
  const rt = buildClusterRuntime(cluster(), undefined, fakeClock(), opts);
  assert.equal(rt.name, 'reviews');
  assert.deepEqual(
    rt.endpoints.map((e) => [e.key, e.weight, e.healthy, e.active, e.ejectedUntil]),
    [
      ['127.0.0.1:9081', 1, true, 0, 0],
      ['127.0.0.1:9082', 3, true, 0, 0],
      ['127.0.0.1:9083', 1, false, 0, 0],
    ],
  );
  assert.equal(rt.endpoint('127.0.0.1:9082'), rt.endpoints[1]);
});

test('IPv6 keys are bracketed; duplicates collapse to the first entry', () => {
  const rt = buildClusterRuntime(
    cluster({
      endpoints: [
        { address: '::1', port: 80 },
        { address: '10.0.0.1', port: 80, weight: 2 },
        { address: '10.0.0.1', port: 80, weight: 9 },
      ],
      subsets: undefined,
    }),
    undefined,
    fakeClock(),
    opts,
  );
  assert.deepEqual(
    rt.endpoints.map((e) => [e.key, e.weight]),
    [
      ['[::1]:80', 1],
      ['10.0.0.1:80', 2],
    ],
  );
});

test('balancerFor: whole cluster, named subsets by labels, undefined for unknown subsets', () => {
  const rt = buildClusterRuntime(cluster(), undefined, fakeClock(), opts);
  assert.equal(rt.balancerFor(), rt.balancer);
  assert.equal(rt.balancerFor('nope'), undefined);
  assert.deepEqual(rt.subsetNames(), ['v1', 'v2', 'v3']);
  const v1 = tally(() => rt.balancerFor('v1')?.pick({}), 50);
  assert.deepEqual([...v1.keys()], ['127.0.0.1:9081']);
  // v2 matches 9082 and 9083, but 9083 is unhealthy.
  const v2 = tally(() => rt.balancerFor('v2')?.pick({}), 50);
  assert.deepEqual([...v2.keys()], ['127.0.0.1:9082']);
  // A defined subset that matches nothing picks nothing (a 503, not a 404).
  assert.ok(rt.balancerFor('v3'));
  assert.equal(rt.balancerFor('v3')?.pick({}), undefined);
  // Whole cluster: weights 1 and 3, unhealthy skipped.
  const all = tally(() => rt.balancer.pick({}), 4000);
  assert.equal(all.get('127.0.0.1:9081'), 1000);
  assert.equal(all.get('127.0.0.1:9082'), 3000);
});

test('the load-balancer policy applies to the cluster and its subsets', () => {
  const rt = buildClusterRuntime(
    cluster({ loadBalancer: { policy: 'consistent_hash', hash: { header: 'x-user' } } }),
    undefined,
    fakeClock(),
    opts,
  );
  const first = rt.balancer.pick({ hashKey: 'alice' });
  for (let i = 0; i < 20; i++) assert.equal(rt.balancer.pick({ hashKey: 'alice' }), first);
  const sub = rt.balancerFor('v2')?.pick({ hashKey: 'alice' });
  for (let i = 0; i < 20; i++) assert.equal(rt.balancerFor('v2')?.pick({ hashKey: 'alice' }), sub);
});

test('ejection by the cluster detector applies to subset balancers too', () => {
  const clock = fakeClock();
  const rt = buildClusterRuntime(cluster(), undefined, clock, opts);
  const v1 = rt.endpoint('127.0.0.1:9081');
  assert.ok(v1);
  for (let i = 0; i < 5; i++) rt.outlier.onResult(v1, S503);
  assert.equal(rt.balancerFor('v1')?.pick({}), undefined);
  clock.advance(30_000);
  assert.equal(rt.balancerFor('v1')?.pick({}), v1);
});

test('state survives a rebuild: same objects, active counts, ejections, breaker, detector, budget', () => {
  const clock = fakeClock();
  const first = buildClusterRuntime(cluster({ connectionPool: { maxRequests: 10 } }), undefined, clock, opts);
  const [a, b] = first.endpoints;
  a.active = 4;
  for (let i = 0; i < 5; i++) first.outlier.onResult(b, S503);
  const ejectedUntil = b.ejectedUntil;
  assert.ok(ejectedUntil > clock());
  assert.ok(first.breaker.tryAcquire('requests'));
  first.retryBudget.deposit();

  // New snapshot: 9083 removed, 9084 added, 9081's weight changed, a new breaker limit.
  const next = cluster({
    endpoints: [
      { address: '127.0.0.1', port: 9081, weight: 5, labels: { version: 'v1' } },
      { address: '127.0.0.1', port: 9082, weight: 3, labels: { version: 'v2' } },
      { address: '127.0.0.1', port: 9084, labels: { version: 'v2' } },
    ],
    connectionPool: { maxRequests: 2 },
  });
  const second = buildClusterRuntime(next, first, clock, opts);
  assert.equal(second.endpoint('127.0.0.1:9081'), a, 'the same object');
  assert.equal(a.active, 4);
  assert.equal(a.weight, 5);
  assert.equal(a.endpoint.weight, 5);
  assert.equal(second.endpoint('127.0.0.1:9082'), b);
  assert.equal(b.ejectedUntil, ejectedUntil);
  assert.equal(b.ejections, 1);
  assert.equal(second.endpoint('127.0.0.1:9083'), undefined);
  assert.equal(second.endpoint('127.0.0.1:9084')?.active, 0);

  assert.equal(second.breaker, first.breaker);
  assert.equal(second.breaker.open.requests, 1);
  assert.equal(second.breaker.limits.requests, 2);
  assert.equal(second.outlier, first.outlier);
  assert.equal(second.outlier.totalEjections(b), 1);
  assert.equal(second.retryBudget, first.retryBudget);
  assert.equal(second.retryBudget.stats.deposits, 1);

  // An in-flight request from the old runtime finishes: it lands on the shared state.
  a.active--;
  first.breaker.release('requests');
  assert.equal(second.status().find((s) => s.key === a.key)?.active, 3);
  assert.equal(second.breaker.open.requests, 0);
  // The ejected endpoint is still skipped by the new balancers.
  const counts = tally(() => second.balancer.pick({}), 100);
  assert.equal(counts.get(b.key), undefined);
  // Health from the new snapshot wins.
  const third = buildClusterRuntime(
    { ...next, endpoints: next.endpoints.map((e) => (e.port === 9081 ? { ...e, healthy: false } : e)) },
    second,
    clock,
    opts,
  );
  assert.equal(third.endpoint(a.key)?.healthy, false);
});

test('status() lists what /clusters shows', () => {
  const clock = fakeClock();
  const rt = buildClusterRuntime(cluster(), undefined, clock, opts);
  const b = rt.endpoints[1];
  b.active = 2;
  for (let i = 0; i < 5; i++) rt.outlier.onResult(b, S503);
  const st = rt.status();
  assert.deepEqual(st[1], {
    key: '127.0.0.1:9082',
    address: '127.0.0.1',
    port: 9082,
    weight: 3,
    healthy: true,
    ejected: true,
    ejectedUntil: clock() + 30_000,
    ejections: 1,
    ejectionsTotal: 1,
    active: 2,
    labels: { app: 'reviews', version: 'v2' },
  });
  assert.equal(st[2].healthy, false);
  assert.equal(st[0].ejected, false);
  clock.advance(30_000);
  assert.equal(rt.status()[1].ejected, false);
  assert.equal(rt.status()[1].ejectedUntil, 0);
});

test('dispose stops the timer; a superseded runtime leaves it to its successor', () => {
  const timerOf = (rt: { outlier: unknown }) => (rt.outlier as { timer?: NodeJS.Timeout }).timer;
  const first = buildClusterRuntime(cluster(), undefined, fakeClock(), { random: seededRandom(1) });
  assert.ok(timerOf(first));
  const second = buildClusterRuntime(cluster(), first, fakeClock(), { random: seededRandom(1) });
  first.dispose();
  assert.ok(timerOf(second), 'still running for the new runtime');
  second.dispose();
  assert.equal(timerOf(second), undefined);
  assert.throws(() => buildClusterRuntime(cluster(), first), /already replaced/);
  // Without outlier detection there is no timer at all.
  const quiet = buildClusterRuntime(cluster({ outlierDetection: undefined }), undefined, fakeClock());
  assert.equal(timerOf(quiet), undefined);
  quiet.dispose();
});

test('defaults: no connectionPool → 1024 limits; no retryBudget → Linkerd default', () => {
  const rt = buildClusterRuntime(cluster({ outlierDetection: undefined }), undefined, fakeClock());
  assert.equal(rt.breaker.limits.requests, 1024);
  assert.equal(rt.retryBudget.balance(), 100);
  assert.equal(rt.outlier.enabled, false);
});
