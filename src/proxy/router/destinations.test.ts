import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DestinationPicker, compileDestinations } from './destinations.js';
import type { WeightedDestination } from '../../model/snapshot.js';
// The same seeded PRNG as the balancers' tests, so the statistics are the same on every run.
import { seededRandom as seeded } from '../upstream/testing.js';

function picker(list: WeightedDestination[]): DestinationPicker {
  return new DestinationPicker(compileDestinations(list, 'd'));
}

function counts(p: DestinationPicker, rands: Iterable<number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rands) {
    const c = p.pick(r).cluster;
    out[c] = (out[c] ?? 0) + 1;
  }
  return out;
}

function* stream(rand: () => number, n: number): Iterable<number> {
  for (let i = 0; i < n; i++) yield rand();
}

/** Midpoints of n equal slices of [0,1) (never on a boundary): the split must then be exact. */
function* grid(n: number): Iterable<number> {
  for (let i = 0; i < n; i++) yield (i + 0.5) / n;
}

test('weight defaults to 1; a single destination is always picked', () => {
  const [d] = compileDestinations([{ cluster: 'a' }], 'd');
  assert.equal(d.weight, 1);
  assert.equal(picker([{ cluster: 'a', weight: 0 }]).pick(0.99).cluster, 'a');
});

test('90/10 canary: exact on an even grid, within 4 sigma over 10,000 seeded picks', () => {
  const p = picker([
    { cluster: 'stable', weight: 90 },
    { cluster: 'canary', weight: 10 },
  ]);
  assert.deepEqual(counts(p, grid(10_000)), { stable: 9000, canary: 1000 });
  const c = counts(p, stream(seeded(42), 10_000));
  // Binomial(10000, 0.1): sigma = 30.
  assert.ok(Math.abs(c.canary - 1000) < 120, `canary ${c.canary}`);
  assert.equal(c.stable + c.canary, 10_000);
});

test('three-way split with weights not summing to 100', () => {
  const p = picker([
    { cluster: 'a', weight: 1 },
    { cluster: 'b', weight: 2 },
    { cluster: 'c', weight: 1 },
  ]);
  assert.deepEqual(counts(p, grid(10_000)), { a: 2500, b: 5000, c: 2500 });
  const c = counts(p, stream(seeded(7), 10_000));
  // sigma for p=.25 is 43, for p=.5 is 50.
  assert.ok(Math.abs(c.a - 2500) < 175 && Math.abs(c.b - 5000) < 200 && Math.abs(c.c - 2500) < 175, JSON.stringify(c));
});

test('weight 0 is never picked, wherever it sits', () => {
  const p = picker([
    { cluster: 'zero-first', weight: 0 },
    { cluster: 'a', weight: 50 },
    { cluster: 'zero-mid', weight: 0 },
    { cluster: 'b', weight: 50 },
    { cluster: 'zero-last', weight: 0 },
  ]);
  const c = counts(p, [0, 1e-9, 0.4999, 0.5, 0.999999, ...stream(seeded(1), 10_000)]);
  assert.deepEqual(Object.keys(c).sort(), ['a', 'b']);
  // rand at or past 1 (a caller's mistake) still lands on a live destination.
  assert.equal(p.pick(1).cluster, 'b');
});

test('all weights 0: split evenly', () => {
  const p = picker([
    { cluster: 'a', weight: 0 },
    { cluster: 'b', weight: 0 },
  ]);
  assert.deepEqual(counts(p, grid(1000)), { a: 500, b: 500 });
});

test('many destinations use binary search and give the same answers as a linear scan', () => {
  const list: WeightedDestination[] = [];
  for (let i = 0; i < 40; i++) list.push({ cluster: `c${i}`, weight: i % 3 });
  const p = picker(list);
  const rand = seeded(99);
  for (let k = 0; k < 5000; k++) {
    const r = rand();
    const target = r * p.total;
    const expected = list.findIndex((_, i) => target < p.cumulative[i]);
    assert.equal(p.pick(r).cluster, `c${expected}`);
  }
  const c = counts(p, grid(p.total * 10));
  for (let i = 0; i < 40; i++) assert.equal(c[`c${i}`] ?? 0, (i % 3) * 10, `c${i}`);
});

test('per-destination header mutations are compiled', () => {
  const [d] = compileDestinations([{ cluster: 'a', requestHeaders: { set: { 'X-Version': 'v2' } } }], 'd');
  assert.ok(d.requestHeaders);
  assert.equal(d.responseHeaders, undefined);
});
