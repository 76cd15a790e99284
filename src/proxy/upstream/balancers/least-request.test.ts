import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointState } from '../types.js';
import { binomialOff, endpointsWithWeights, fakeClock, seededRandom, tally } from '../testing.js';
import { LeastRequestBalancer } from './least-request.js';
import { RandomBalancer } from './random.js';

test('power of two choices avoids the busy endpoint', () => {
  const eps = endpointsWithWeights([1, 1, 1, 1]);
  eps[0].active = 50;
  const b = new LeastRequestBalancer(eps, Date.now, seededRandom(21));
  const counts = tally(() => b.pick({}), 10_000);
  // The busy one wins only when every draw lands on it: (1/4)^4 ≈ 0.4 %.
  assert.ok((counts.get(eps[0].key) ?? 0) < 150, `busy endpoint picked ${counts.get(eps[0].key)} times`);
});

test('with no load, traffic follows the weights', () => {
  const weights = [1, 3];
  const eps = endpointsWithWeights(weights);
  const b = new LeastRequestBalancer(eps, Date.now, seededRandom(22));
  const n = 40_000;
  const counts = tally(() => b.pick({}), n);
  assert.equal(binomialOff(counts.get(eps[1].key) ?? 0, n, 0.75), undefined);
});

test('load is compared per unit of weight', () => {
  const eps = endpointsWithWeights([4, 1]);
  eps[0].active = 3; // 0.75 per unit of weight
  eps[1].active = 1; // 1 per unit of weight
  const b = new LeastRequestBalancer(eps, Date.now, seededRandom(23));
  const counts = tally(() => b.pick({}), 1000);
  assert.ok((counts.get(eps[0].key) ?? 0) > 900);
  eps[0].active = 8; // 2 per unit
  const again = tally(() => b.pick({}), 1000);
  assert.ok((again.get(eps[1].key) ?? 0) > 500);
});

// A closed-loop simulation: one endpoint is 5× slower. Each step a request arrives and every
// in-flight request completes with its endpoint's probability. Least request should keep the slow
// endpoint's queue short; random keeps sending it a fair share and its queue grows.
function simulate(makeBalancer: (eps: EndpointState[]) => { pick(): EndpointState | undefined }): number[] {
  const eps = endpointsWithWeights([1, 1, 1, 1]);
  const rnd = seededRandom(99);
  const completion = [0.02, 0.1, 0.1, 0.1];
  const b = makeBalancer(eps);
  const peak = [0, 0, 0, 0];
  for (let step = 0; step < 20_000; step++) {
    for (let k = 0; k < 3; k++) {
      const e = b.pick();
      if (e) e.active++;
    }
    eps.forEach((e, i) => {
      let done = 0;
      for (let r = 0; r < e.active; r++) if (rnd() < completion[i]) done++;
      e.active -= done;
      peak[i] = Math.max(peak[i], e.active);
    });
  }
  return peak;
}

test('least request keeps the slow endpoint less loaded than random does', () => {
  const lr = simulate((eps) => {
    const b = new LeastRequestBalancer(eps, Date.now, seededRandom(5));
    return { pick: () => b.pick({}) };
  });
  const rnd = simulate((eps) => {
    const b = new RandomBalancer(eps, Date.now, seededRandom(5));
    return { pick: () => b.pick({}) };
  });
  assert.ok(lr[0] < rnd[0] / 2, `peak queue of the slow endpoint: least request ${lr[0]}, random ${rnd[0]}`);
});

test('skips unavailable endpoints, undefined when none is left', () => {
  const clock = fakeClock();
  const eps = endpointsWithWeights([1, 1, 1]);
  eps[1].ejectedUntil = clock() + 10;
  eps[2].healthy = false;
  const b = new LeastRequestBalancer(eps, clock, seededRandom(24));
  const counts = tally(() => b.pick({}), 500);
  assert.equal(counts.get(eps[0].key), 500);
  eps[0].healthy = false;
  assert.equal(b.pick({}), undefined);
  clock.advance(10);
  assert.equal(b.pick({}), eps[1]);
});
