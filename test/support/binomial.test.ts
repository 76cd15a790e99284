import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binomialBounds } from './binomial.js';

/** P(X = k) for X ~ Binomial(n, p), by the product formula (small n only). */
function pmf(n: number, p: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c * p ** k * (1 - p) ** (n - k);
}

test('binomial bounds: each tail outside the bounds holds at most alpha/2, and the bounds are tight', () => {
  for (const [n, p, alpha] of [
    [100, 0.5, 1e-6],
    [300, 0.1, 1e-6],
    [60, 0.9, 1e-3],
  ]) {
    const { lo, hi } = binomialBounds(n, p, alpha);
    const below = (k: number): number => Array.from({ length: k }, (_, i) => pmf(n, p, i)).reduce((a, b) => a + b, 0);
    const above = (k: number): number => Array.from({ length: n - k }, (_, i) => pmf(n, p, k + 1 + i)).reduce((a, b) => a + b, 0);
    assert.ok(below(lo) <= alpha / 2 && below(lo + 1) > alpha / 2, `lo ${lo} for n=${n} p=${p}`);
    assert.ok(above(hi) <= alpha / 2 && above(hi - 1) > alpha / 2, `hi ${hi} for n=${n} p=${p}`);
  }
  // The familiar ±5 standard deviations for 100 fair coins.
  assert.deepEqual(binomialBounds(100, 0.5, 1e-6), { lo: 26, hi: 74 });
});
