import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { endpointsWithWeights, seededRandom } from '../testing.js';
import { createBalancer, LeastRequestBalancer, RandomBalancer, RingHashBalancer, RoundRobinBalancer } from './index.js';

test('createBalancer maps each policy, round robin by default', () => {
  const eps = endpointsWithWeights([1, 1]);
  assert.ok(createBalancer(undefined, eps) instanceof RoundRobinBalancer);
  assert.ok(createBalancer({ policy: 'round_robin' }, eps) instanceof RoundRobinBalancer);
  assert.ok(createBalancer({ policy: 'least_request' }, eps) instanceof LeastRequestBalancer);
  assert.ok(createBalancer({ policy: 'random' }, eps) instanceof RandomBalancer);
  assert.ok(createBalancer({ policy: 'consistent_hash', hash: { header: 'x-user' } }, eps) instanceof RingHashBalancer);
});

test('every policy returns undefined for an empty cluster and works for a single endpoint', () => {
  for (const policy of ['round_robin', 'least_request', 'random', 'consistent_hash'] as const) {
    assert.equal(createBalancer({ policy }, []).pick({ hashKey: 'k' }), undefined, policy);
    const one = endpointsWithWeights([3]);
    const b = createBalancer({ policy }, one, { random: seededRandom(1) });
    for (let i = 0; i < 5; i++) assert.equal(b.pick({ hashKey: `k${i}` }), one[0], policy);
  }
});

test('the balancer keeps its own copy of the endpoint list', () => {
  const eps = endpointsWithWeights([1, 1]);
  const b = createBalancer(undefined, eps);
  const first = eps[0];
  eps.length = 0; // the caller reusing its array must not break the balancer
  const seen = new Set([b.pick({}), b.pick({})]);
  assert.ok(seen.has(first));
});

// Bytes allocated in V8's young generation by `fn`, measured over chunks that saw no GC (a GC
// empties the young generation, making the difference negative; such chunks are discarded).
function youngAllocation(fn: () => void): number {
  const used = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_used_size ?? 0;
  let best = Infinity;
  for (let chunk = 0; chunk < 20; chunk++) {
    const before = used();
    fn();
    const delta = used() - before;
    if (delta >= 0) best = Math.min(best, delta);
  }
  return best;
}

// With no ejection in force the clock is not even read. (When a candidate carries an ejection
// time, Date.now()'s result is a boxed heap number in V8: 16 bytes on those picks only.)
test('picks do not allocate', () => {
  const eps = endpointsWithWeights([1, 2, 3, 4, 5, 6, 7, 8]);
  eps[3].healthy = false; // exercise the skip path
  const picks = 20_000;
  for (const policy of ['round_robin', 'least_request', 'random', 'consistent_hash'] as const) {
    for (const ctx of [{}, { hashKey: 'user-42' }]) {
      const b = createBalancer({ policy }, eps);
      for (let i = 0; i < 50_000; i++) b.pick(ctx); // let the JIT optimise first
      const bytes = youngAllocation(() => {
        for (let i = 0; i < picks; i++) b.pick(ctx);
      });
      // One boxed number per pick would be 16 bytes × 20 000 = 320 KB; allow measurement overhead.
      assert.ok(bytes < 32 * 1024, `${policy} ${JSON.stringify(ctx)}: ${bytes} bytes for ${picks} picks`);
    }
  }
});

test('avoid: never the avoided endpoint while another is available, else it', () => {
  for (const policy of ['round_robin', 'least_request', 'random', 'consistent_hash'] as const) {
    const eps = endpointsWithWeights([1, 5, 1]);
    const b = createBalancer({ policy }, eps, { random: seededRandom(9) });
    for (let i = 0; i < 300; i++) {
      const e = b.pick({ avoid: eps[1], hashKey: i % 2 ? `k${i}` : undefined });
      assert.ok(e && e !== eps[1], `${policy}: picked the avoided endpoint`);
    }
    eps[0].healthy = false;
    eps[2].healthy = false;
    assert.equal(b.pick({ avoid: eps[1], hashKey: 'k' }), eps[1], `${policy}: the only one left`);
    assert.equal(b.pick({ avoid: eps[1] }), eps[1], policy);
    eps[1].ejectedUntil = Date.now() + 60_000;
    assert.equal(b.pick({ avoid: eps[1], hashKey: 'k' }), undefined, `${policy}: avoided and ejected`);
  }
});

test('avoid on the ring: the key goes to the next endpoint clockwise, as if the avoided one were out', () => {
  const eps = endpointsWithWeights([1, 1, 1, 1]);
  const b = createBalancer({ policy: 'consistent_hash' }, eps);
  for (let i = 0; i < 200; i++) {
    const key = `user-${i}`;
    const owner = b.pick({ hashKey: key });
    assert.ok(owner);
    const next = b.pick({ hashKey: key, avoid: owner });
    owner.healthy = false;
    assert.equal(next, b.pick({ hashKey: key }));
    owner.healthy = true;
  }
});
