import { test } from 'node:test';
import assert from 'node:assert/strict';
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

test('picks do not allocate (heap stays flat over a million picks)', () => {
  const eps = endpointsWithWeights([1, 2, 3, 4, 5, 6, 7, 8]);
  eps[3].ejectedUntil = Date.now() + 60_000;
  for (const policy of ['round_robin', 'least_request', 'random', 'consistent_hash'] as const) {
    const b = createBalancer({ policy }, eps);
    const ctx = { hashKey: 'user-42' };
    for (let i = 0; i < 10_000; i++) b.pick(ctx); // warm up (JIT)
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) b.pick(ctx);
    const grown = process.memoryUsage().heapUsed - before;
    // An allocating pick would grow the heap by tens of MB (or trigger GCs); allow noise.
    assert.ok(grown < 4 * 1024 * 1024, `${policy}: heap grew ${grown} bytes`);
  }
});
