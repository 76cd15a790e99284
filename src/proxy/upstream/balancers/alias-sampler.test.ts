import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AliasSampler } from './alias-sampler.js';

// Feeding an evenly spaced grid of u values measures the table's exact probabilities.
function frequencies(weights: number[], grid = 100_000): number[] {
  const s = new AliasSampler(weights);
  const counts = new Array<number>(weights.length).fill(0);
  for (let k = 0; k < grid; k++) counts[s.sample((k + 0.5) / grid)]++;
  return counts.map((c) => c / grid);
}

test('alias table probabilities equal weight / total', () => {
  const weights = [1, 2, 3, 4];
  const f = frequencies(weights);
  weights.forEach((w, i) => assert.ok(Math.abs(f[i] - w / 10) < 1e-3, `index ${i}: ${f[i]}`));
});

test('alias table handles skewed, single and all-zero weights', () => {
  const skewed = frequencies([1000, 1, 1]);
  assert.ok(Math.abs(skewed[0] - 1000 / 1002) < 1e-3);
  assert.ok(Math.abs(skewed[1] - 1 / 1002) < 1e-3);
  assert.deepEqual(frequencies([7]), [1]);
  const zeros = frequencies([0, 0]);
  assert.ok(Math.abs(zeros[0] - 0.5) < 1e-3);
  const someZero = frequencies([0, 1]);
  assert.equal(someZero[0], 0);
});

test('sample stays in range for edge values of u', () => {
  const s = new AliasSampler([1, 2, 3]);
  for (const u of [0, 0.999999999999, 1 - Number.EPSILON]) {
    const i = s.sample(u);
    assert.ok(i >= 0 && i < 3);
  }
});
