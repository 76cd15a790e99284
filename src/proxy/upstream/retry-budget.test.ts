import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RETRY_BUDGET, RetryBudget } from './retry-budget.js';
import { fakeClock } from './testing.js';

function withdrawAll(b: RetryBudget, limit = 100_000): number {
  let n = 0;
  while (n < limit && b.tryWithdraw()) n++;
  return n;
}

test('default budget is Linkerd\'s: 20 %, 10/s minimum, 10 s window', () => {
  assert.deepEqual({ ...DEFAULT_RETRY_BUDGET }, { retryRatio: 0.2, minRetriesPerSecond: 10, ttlMs: 10_000 });
  const b = new RetryBudget(undefined, fakeClock());
  // With no traffic at all: the floor, 10/s × 10 s.
  assert.equal(withdrawAll(b), 100);
  assert.equal(b.stats.refused, 1);
});

test('retries allowed = floor × ttl + ratio × requests in the window', () => {
  const b = new RetryBudget({ retryRatio: 0.2, minRetriesPerSecond: 1, ttlMs: 10_000 }, fakeClock());
  for (let i = 0; i < 1000; i++) b.deposit();
  assert.equal(b.balance(), 10 + 200);
  assert.equal(withdrawAll(b), 210);
  assert.equal(b.tryWithdraw(), false);
  // Each further request earns a fifth of a retry.
  for (let i = 0; i < 4; i++) b.deposit();
  assert.equal(b.tryWithdraw(), false);
  b.deposit();
  assert.equal(b.tryWithdraw(), true);
});

test('exhausted budget refills as the window slides', () => {
  const clock = fakeClock(0);
  const b = new RetryBudget({ retryRatio: 0, minRetriesPerSecond: 2, ttlMs: 5_000 }, clock);
  assert.equal(withdrawAll(b), 10);
  clock.advance(2_500);
  assert.equal(b.tryWithdraw(), false, 'withdrawals still inside the window');
  clock.advance(2_500);
  assert.equal(withdrawAll(b), 10, 'all of them aged out after ttl');
});

test('requests age out of the window too, bucket by bucket', () => {
  const clock = fakeClock(0);
  const b = new RetryBudget({ retryRatio: 1, minRetriesPerSecond: 0, ttlMs: 10_000 }, clock);
  for (let i = 0; i < 10; i++) b.deposit(); // bucket [0, 1 s)
  clock.advance(5_000);
  for (let i = 0; i < 10; i++) b.deposit(); // bucket [5 s, 6 s)
  assert.equal(b.balance(), 20);
  clock.advance(5_000); // t = 10 s: the first bucket is reused, its deposits gone
  assert.equal(b.balance(), 10);
  clock.advance(60_000); // a long gap clears everything
  assert.equal(b.balance(), 0);
  assert.equal(b.tryWithdraw(), false);
});

test('ratio 0 with floor 0 never allows a retry; large ratios allow several per request', () => {
  const none = new RetryBudget({ retryRatio: 0, minRetriesPerSecond: 0 }, fakeClock());
  for (let i = 0; i < 100; i++) none.deposit();
  assert.equal(none.tryWithdraw(), false);
  const many = new RetryBudget({ retryRatio: 3, minRetriesPerSecond: 0 }, fakeClock());
  many.deposit();
  assert.equal(withdrawAll(many), 3);
});

test('ttl is clamped to 1–60 s, as in Linkerd and Finagle', () => {
  const short = new RetryBudget({ retryRatio: 0, minRetriesPerSecond: 5, ttlMs: 10 }, fakeClock());
  assert.equal(short.balance(), 5); // 5/s × 1 s
  const long = new RetryBudget({ retryRatio: 0, minRetriesPerSecond: 1, ttlMs: 3_600_000 }, fakeClock());
  assert.equal(long.balance(), 60);
});

test('configure keeps the window when ttl is unchanged, restarts it otherwise', () => {
  const b = new RetryBudget({ retryRatio: 0.5, minRetriesPerSecond: 0 }, fakeClock());
  for (let i = 0; i < 10; i++) b.deposit();
  b.configure({ retryRatio: 1, minRetriesPerSecond: 0 });
  assert.equal(b.balance(), 10);
  b.configure({ retryRatio: 1, minRetriesPerSecond: 0, ttlMs: 20_000 });
  assert.equal(b.balance(), 0);
});

test('a clock stepping backwards does not corrupt the window', () => {
  const clock = fakeClock(50_000);
  const b = new RetryBudget({ retryRatio: 1, minRetriesPerSecond: 0 }, clock);
  b.deposit();
  clock.set(10_000);
  b.deposit();
  assert.equal(b.balance(), 2);
  assert.ok(b.tryWithdraw());
  assert.equal(b.balance(), 1);
});
