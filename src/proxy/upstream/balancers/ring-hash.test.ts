import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newEndpointState } from '../endpoint-state.js';
import type { EndpointState } from '../types.js';
import { binomialOff, endpointsWithWeights, fakeClock, seededRandom, tally } from '../testing.js';
import { FNV_OFFSET, feedDecimal, feedString, finishHash, hashString } from './hash.js';
import { RingHashBalancer, VNODES_PER_WEIGHT } from './ring-hash.js';

const KEYS = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);

function assignment(b: RingHashBalancer): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of KEYS) out.set(k, b.pick({ hashKey: k })?.key ?? 'none');
  return out;
}

function ring(eps: EndpointState[], clock = Date.now): RingHashBalancer {
  return new RingHashBalancer(eps, clock, seededRandom(7));
}

test('the string hash spreads similar strings over the whole range', () => {
  const buckets = new Array<number>(16).fill(0);
  for (let i = 0; i < 16_000; i++) buckets[hashString(`10.0.0.1:80_${i}`) >>> 28]++;
  for (const c of buckets) assert.equal(binomialOff(c, 16_000, 1 / 16), undefined);
  assert.notEqual(hashString('a'), hashString('b'));
  assert.equal(hashString('same'), hashString('same'));
  // The ring's incremental hashing of "<key>_<i>" equals hashing the built string.
  for (const i of [0, 1, 9, 10, 99, 100, 255, 1000, 123456]) {
    const prefix = feedString(feedString(FNV_OFFSET, '10.0.0.1:80'), '_');
    assert.equal(finishHash(feedDecimal(prefix, i)), hashString(`10.0.0.1:80_${i}`), String(i));
  }
});

test('same key, same endpoint: across picks, rebuilds and endpoint order', () => {
  const eps = endpointsWithWeights([1, 1, 1, 1, 1]);
  const a = assignment(ring(eps));
  assert.deepEqual(assignment(ring(eps)), a);
  // A rebuild from fresh states listed in another order maps every key the same way.
  const shuffled = endpointsWithWeights([1, 1, 1, 1, 1]).reverse();
  assert.deepEqual(assignment(ring(shuffled)), a);
});

test('keys spread evenly, and by weight', () => {
  const eps = endpointsWithWeights([1, 1, 1, 1]);
  const counts = new Map<string, number>();
  for (const v of assignment(ring(eps)).values()) counts.set(v, (counts.get(v) ?? 0) + 1);
  for (const e of eps) {
    const share = (counts.get(e.key) ?? 0) / KEYS.length;
    assert.ok(Math.abs(share - 0.25) < 0.05, `${e.key} owns ${share}`);
  }
  const weighted = endpointsWithWeights([1, 3]);
  const wc = new Map<string, number>();
  for (const v of assignment(ring(weighted)).values()) wc.set(v, (wc.get(v) ?? 0) + 1);
  const heavy = (wc.get(weighted[1].key) ?? 0) / KEYS.length;
  assert.ok(Math.abs(heavy - 0.75) < 0.05, `weight 3 of 4 owns ${heavy}`);
  assert.equal(ring(weighted).ringSize, 4 * VNODES_PER_WEIGHT);
});

test('removing one of n endpoints moves only its own keys (about 1/n)', () => {
  const n = 10;
  const eps = endpointsWithWeights(new Array(n).fill(1));
  const before = assignment(ring(eps));
  const removed = eps[4];
  const after = assignment(ring(eps.filter((e) => e !== removed)));
  let moved = 0;
  for (const k of KEYS) {
    if (before.get(k) !== after.get(k)) {
      moved++;
      assert.equal(before.get(k), removed.key, `${k} moved although its endpoint stayed`);
    }
  }
  const fraction = moved / KEYS.length;
  assert.ok(fraction > 0.05 && fraction < 0.15, `moved ${fraction}`);
});

test('adding an endpoint takes about 1/(n+1) of the keys, only onto itself', () => {
  const eps = endpointsWithWeights(new Array(9).fill(1));
  const before = assignment(ring(eps));
  const added = newEndpointState({ address: '10.0.1.1', port: 80 });
  const after = assignment(ring([...eps, added]));
  let moved = 0;
  for (const k of KEYS) {
    if (before.get(k) !== after.get(k)) {
      moved++;
      assert.equal(after.get(k), added.key);
    }
  }
  assert.ok(moved / KEYS.length > 0.05 && moved / KEYS.length < 0.15);
});

test('an ejected endpoint falls to the next on the ring, and its keys come back after', () => {
  const clock = fakeClock();
  const eps = endpointsWithWeights([1, 1, 1, 1, 1]);
  const b = ring(eps, clock);
  const before = assignment(b);
  eps[2].ejectedUntil = clock() + 30_000;
  const during = assignment(b);
  for (const k of KEYS) {
    if (before.get(k) === eps[2].key) assert.notEqual(during.get(k), eps[2].key);
    else assert.equal(during.get(k), before.get(k), 'keys of other endpoints must not move');
  }
  clock.advance(30_000);
  assert.deepEqual(assignment(b), before);
  eps[2].healthy = false; // unhealthy behaves the same
  for (const [k, v] of assignment(b)) if (before.get(k) !== eps[2].key) assert.equal(v, before.get(k));
});

test('without a hash key: weighted random; with nothing available: undefined', () => {
  const eps = endpointsWithWeights([1, 3]);
  const b = ring(eps);
  const n = 20_000;
  const counts = tally(() => b.pick({}), n);
  assert.equal(binomialOff(counts.get(eps[1].key) ?? 0, n, 0.75), undefined);
  for (const e of eps) e.healthy = false;
  assert.equal(b.pick({ hashKey: 'x' }), undefined);
  assert.equal(b.pick({}), undefined);
  assert.equal(ring([]).pick({ hashKey: 'x' }), undefined);
});

test('huge weights are capped in ring size but stay proportional', () => {
  const eps = endpointsWithWeights([1000, 3000]);
  const b = ring(eps);
  assert.ok(b.ringSize <= 1 << 18);
  const counts = new Map<string, number>();
  for (const v of assignment(b).values()) counts.set(v, (counts.get(v) ?? 0) + 1);
  assert.ok(Math.abs((counts.get(eps[1].key) ?? 0) / KEYS.length - 0.75) < 0.05);
});
