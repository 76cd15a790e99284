import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binomialOff, endpointsWithWeights, fakeClock, seededRandom, tally } from '../testing.js';
import { RandomBalancer } from './random.js';

test('weighted random: counts within 5 sigma of weight shares', () => {
  const weights = [1, 2, 3, 4];
  const eps = endpointsWithWeights(weights);
  const b = new RandomBalancer(eps, Date.now, seededRandom(11));
  const n = 100_000;
  const counts = tally(() => b.pick({}), n);
  eps.forEach((e, i) => assert.equal(binomialOff(counts.get(e.key) ?? 0, n, weights[i] / 10), undefined));
});

test('unavailable endpoints are never picked and the rest keep their proportions', () => {
  const clock = fakeClock();
  const eps = endpointsWithWeights([1, 1, 2, 6]);
  const b = new RandomBalancer(eps, clock, seededRandom(12));
  eps[3].ejectedUntil = clock() + 5000;
  eps[0].healthy = false;
  const n = 30_000;
  const counts = tally(() => b.pick({}), n);
  assert.equal(counts.get(eps[3].key), undefined);
  assert.equal(counts.get(eps[0].key), undefined);
  assert.equal(binomialOff(counts.get(eps[2].key) ?? 0, n, 2 / 3), undefined);
});

test('with most endpoints out the exact fallback still finds the available ones', () => {
  const eps = endpointsWithWeights(new Array(50).fill(1));
  for (const e of eps) e.healthy = false;
  eps[17].healthy = true;
  eps[33].healthy = true;
  const b = new RandomBalancer(eps, Date.now, seededRandom(13));
  const counts = tally(() => b.pick({}), 2000);
  assert.equal(counts.get('none'), undefined);
  assert.equal((counts.get(eps[17].key) ?? 0) + (counts.get(eps[33].key) ?? 0), 2000);
  assert.equal(binomialOff(counts.get(eps[17].key) ?? 0, 2000, 0.5), undefined);
  eps[17].healthy = false;
  eps[33].healthy = false;
  assert.equal(b.pick({}), undefined);
});
