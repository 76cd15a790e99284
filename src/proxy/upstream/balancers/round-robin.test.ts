import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointsWithWeights, fakeClock, seededRandom, tally } from '../testing.js';
import { RoundRobinBalancer } from './round-robin.js';

test('equal weights: every endpoint in turn, exactly evenly', () => {
  const eps = endpointsWithWeights([1, 1, 1, 1]);
  const rr = new RoundRobinBalancer(eps, Date.now, seededRandom(1));
  const first = rr.pick({});
  assert.ok(first);
  const start = eps.indexOf(first);
  for (let i = 1; i < 12; i++) assert.equal(rr.pick({}), eps[(start + i) % 4]);
  const counts = tally(() => rr.pick({}), 4000);
  for (const e of eps) assert.equal(counts.get(e.key), 1000);
});

test('weights are honoured exactly over whole periods', () => {
  const eps = endpointsWithWeights([5, 1, 1]);
  const rr = new RoundRobinBalancer(eps, Date.now, seededRandom(2));
  const counts = tally(() => rr.pick({}), 7000);
  assert.ok(Math.abs((counts.get(eps[0].key) ?? 0) - 5000) <= 1);
  assert.ok(Math.abs((counts.get(eps[1].key) ?? 0) - 1000) <= 1);
  assert.ok(Math.abs((counts.get(eps[2].key) ?? 0) - 1000) <= 1);
});

test('weighted picks are smooth: every prefix stays within 2 picks of the weight share', () => {
  const weights = [5, 3, 1, 1];
  const total = 10;
  const eps = endpointsWithWeights(weights);
  const rr = new RoundRobinBalancer(eps, Date.now, seededRandom(3));
  const counts = [0, 0, 0, 0];
  for (let k = 1; k <= 2000; k++) {
    const e = rr.pick({});
    assert.ok(e);
    counts[eps.indexOf(e)]++;
    for (let i = 0; i < weights.length; i++) {
      const share = (k * weights[i]) / total;
      assert.ok(Math.abs(counts[i] - share) <= 2, `after ${k} picks endpoint ${i} has ${counts[i]}, share ${share}`);
    }
  }
  // Never a long burst of the heavy endpoint: at most 2 in a row with weights 5:3:1:1.
  let run = 0;
  let maxRun = 0;
  for (let k = 0; k < 1000; k++) {
    run = rr.pick({}) === eps[0] ? run + 1 : 0;
    maxRun = Math.max(maxRun, run);
  }
  assert.ok(maxRun <= 2, `run of ${maxRun}`);
});

test('skips unhealthy and ejected endpoints; others keep their relative weights', () => {
  const clock = fakeClock();
  const eps = endpointsWithWeights([1, 2, 3]);
  const rr = new RoundRobinBalancer(eps, clock, seededRandom(4));
  eps[0].healthy = false;
  let counts = tally(() => rr.pick({}), 5000);
  assert.equal(counts.get(eps[0].key), undefined);
  assert.ok(Math.abs((counts.get(eps[1].key) ?? 0) - 2000) <= 2);
  assert.ok(Math.abs((counts.get(eps[2].key) ?? 0) - 3000) <= 2);

  eps[0].healthy = true;
  eps[2].ejectedUntil = clock() + 1000;
  counts = tally(() => rr.pick({}), 3000);
  assert.equal(counts.get(eps[2].key), undefined);
  assert.ok(Math.abs((counts.get(eps[0].key) ?? 0) - 1000) <= 2);

  clock.advance(1000); // the ejection ends: back in rotation without any rebuild
  counts = tally(() => rr.pick({}), 600);
  assert.ok((counts.get(eps[2].key) ?? 0) > 250);
});

test('all unavailable or empty: undefined', () => {
  const eps = endpointsWithWeights([1, 1]);
  const rr = new RoundRobinBalancer(eps, Date.now, Math.random);
  for (const e of eps) e.healthy = false;
  assert.equal(rr.pick({}), undefined);
  const weighted = endpointsWithWeights([1, 3]);
  const wrr = new RoundRobinBalancer(weighted, Date.now, Math.random);
  for (const e of weighted) e.ejectedUntil = Date.now() + 60_000;
  assert.equal(wrr.pick({}), undefined);
  assert.equal(new RoundRobinBalancer([], Date.now, Math.random).pick({}), undefined);
});

test('the starting point is randomised so proxies do not all begin on one endpoint', () => {
  const firsts = new Set<string>();
  for (let seed = 0; seed < 40; seed++) {
    const eps = endpointsWithWeights([1, 1, 1, 1]);
    firsts.add(new RoundRobinBalancer(eps, Date.now, seededRandom(seed)).pick({})?.key ?? '');
  }
  assert.ok(firsts.size >= 3);
});

test('long runs keep precision (deadlines are rebased)', () => {
  const eps = endpointsWithWeights([1000, 1]);
  const rr = new RoundRobinBalancer(eps, Date.now, seededRandom(5));
  // Force a rebase quickly by pushing the virtual time far ahead.
  (rr as unknown as { deadline: Float64Array }).deadline.fill(1e9 + 0.25);
  const counts = tally(() => rr.pick({}), 100_100);
  assert.ok(Math.abs((counts.get(eps[1].key) ?? 0) - 100) <= 2);
});

test('a heavy endpoint out of service: the light ones share the traffic by weight, in O(n) picks', () => {
  const eps = endpointsWithWeights([1000, 1, 2]);
  const rr = new RoundRobinBalancer(eps, Date.now, seededRandom(6));
  eps[0].healthy = false;
  const counts = tally(() => rr.pick({}), 3000);
  assert.equal(counts.get(eps[0].key), undefined);
  assert.ok(Math.abs((counts.get(eps[1].key) ?? 0) - 1000) <= 2, String(counts.get(eps[1].key)));
  assert.ok(Math.abs((counts.get(eps[2].key) ?? 0) - 2000) <= 2);
  // Back in service: the light endpoints are not starved while the heavy one "catches up".
  eps[0].healthy = true;
  const back = tally(() => rr.pick({}), 10_030);
  assert.ok(Math.abs((back.get(eps[1].key) ?? 0) - 10) <= 2, String(back.get(eps[1].key)));
  assert.ok(Math.abs((back.get(eps[2].key) ?? 0) - 20) <= 2, String(back.get(eps[2].key)));
});

test('avoiding the heavy endpoint on a retry does not disturb the schedule', () => {
  const eps = endpointsWithWeights([1000, 1, 2]);
  const rr = new RoundRobinBalancer(eps, Date.now, seededRandom(8));
  let light = 0;
  for (let i = 0; i < 100_300; i++) {
    const e = rr.pick(i % 1000 === 0 ? { avoid: eps[0] } : {});
    if (e !== eps[0]) light++;
  }
  // 300 by weight, plus at most one extra light pick per avoiding request (100 of them).
  assert.ok(light >= 298 && light <= 402, String(light));
});
