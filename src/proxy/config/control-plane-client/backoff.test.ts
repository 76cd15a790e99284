import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, jittered within the upper half of each step', () => {
    const low = (n: number): number => backoffDelay(n, {}, () => 0);
    const high = (n: number): number => backoffDelay(n, {}, () => 1);
    assert.deepEqual([0, 1, 2, 3].map(low), [50, 100, 200, 400]);
    assert.deepEqual([0, 1, 2, 3].map(high), [100, 200, 400, 800]);
    assert.equal(high(10), 5000);
    assert.equal(low(1000), 2500);
  });
});
