import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binomialOff, seededRandom } from '../testing.js';
import { AliasSampler } from './alias-sampler.js';
import { FastRandom } from './fast-random.js';

function counts(weights: number[], n: number, seed = 1): number[] {
  const s = new AliasSampler(weights);
  const rng = new FastRandom(seededRandom(seed));
  const out = new Array<number>(weights.length).fill(0);
  for (let k = 0; k < n; k++) out[s.sample(rng)]++;
  return out;
}

test('alias table draws each index with probability weight / total', () => {
  const weights = [1, 2, 3, 4];
  const n = 200_000;
  const c = counts(weights, n);
  weights.forEach((w, i) => assert.equal(binomialOff(c[i], n, w / 10), undefined, `index ${i}`));
});

test('alias table handles skewed, single, and zero weights', () => {
  const n = 100_000;
  const skewed = counts([1000, 1, 1], n);
  assert.equal(binomialOff(skewed[1], n, 1 / 1002), undefined);
  assert.deepEqual(counts([7], 10), [10]);
  const zeros = counts([0, 0], n);
  assert.equal(binomialOff(zeros[0], n, 0.5), undefined);
  assert.equal(counts([0, 1], n)[0], 0);
});

test('FastRandom: uniform integers in range, reproducible from the seed', () => {
  const a = new FastRandom(seededRandom(5));
  const b = new FastRandom(seededRandom(5));
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const x = a.below(10);
    assert.equal(x, b.below(10));
    assert.ok(Number.isInteger(x) && x >= 0 && x < 10);
    buckets[x]++;
  }
  for (const c of buckets) assert.equal(binomialOff(c, 100_000, 0.1), undefined);
  for (let i = 0; i < 1000; i++) {
    const y = a.next30();
    assert.ok(y >= 0 && y < 2 ** 30);
  }
});
