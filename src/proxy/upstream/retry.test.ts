import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RetryPolicy } from '../../model/snapshot.js';
import { backoffMs, isRetriable, unknownRetryConditions } from './retry.js';
import type { TryOutcome } from './types.js';

const policy = (retryOn: string[], retriableStatusCodes?: number[]): RetryPolicy => ({
  attempts: 3,
  retryOn,
  ...(retriableStatusCodes ? { retriableStatusCodes } : {}),
});
const status = (s: number, grpcStatus?: number): TryOutcome =>
  grpcStatus === undefined ? { kind: 'response', status: s } : { kind: 'response', status: s, grpcStatus };
const CONNECT: TryOutcome = { kind: 'connect-failure' };
const RESET: TryOutcome = { kind: 'reset' };
const REFUSED: TryOutcome = { kind: 'refused-stream' };
const TIMEOUT: TryOutcome = { kind: 'timeout' };

test('5xx: any 5xx response and any try without a response', () => {
  const p = policy(['5xx']);
  for (const s of [500, 501, 502, 503, 504, 599]) assert.equal(isRetriable(p, status(s)), true, String(s));
  for (const s of [200, 404, 429, 499]) assert.equal(isRetriable(p, status(s)), false, String(s));
  for (const o of [CONNECT, RESET, REFUSED, TIMEOUT]) assert.equal(isRetriable(p, o), true, o.kind);
});

test('gateway-error: 502, 503, 504 and tries without a response', () => {
  const p = policy(['gateway-error']);
  for (const s of [502, 503, 504]) assert.equal(isRetriable(p, status(s)), true);
  for (const s of [500, 501, 200]) assert.equal(isRetriable(p, status(s)), false);
  for (const o of [CONNECT, RESET, REFUSED, TIMEOUT]) assert.equal(isRetriable(p, o), true, o.kind);
});

test('reset, connect-failure and refused-stream are narrower', () => {
  const reset = policy(['reset']);
  for (const o of [CONNECT, RESET, REFUSED, TIMEOUT]) assert.equal(isRetriable(reset, o), true, o.kind);
  assert.equal(isRetriable(reset, status(503)), false);

  const connect = policy(['connect-failure']);
  assert.equal(isRetriable(connect, CONNECT), true);
  for (const o of [RESET, REFUSED, TIMEOUT]) assert.equal(isRetriable(connect, o), false, o.kind);
  assert.equal(isRetriable(connect, status(503)), false);

  const refused = policy(['refused-stream']);
  assert.equal(isRetriable(refused, REFUSED), true);
  for (const o of [CONNECT, RESET, TIMEOUT]) assert.equal(isRetriable(refused, o), false, o.kind);
});

test('retriable-status-codes uses the listed codes; bare codes in retryOn work as in Istio', () => {
  const p = policy(['retriable-status-codes'], [409, 503]);
  assert.equal(isRetriable(p, status(409)), true);
  assert.equal(isRetriable(p, status(503)), true);
  assert.equal(isRetriable(p, status(500)), false);
  assert.equal(isRetriable(p, RESET), false);
  // Codes listed without the condition do nothing (Envoy needs both)…
  assert.equal(isRetriable(policy(['connect-failure'], [409]), status(409)), false);
  // …but a code written straight into retryOn turns the condition on.
  const istio = policy(['connect-failure', '503', ' 429 ']);
  assert.equal(isRetriable(istio, status(503)), true);
  assert.equal(isRetriable(istio, status(429)), true);
  assert.equal(isRetriable(istio, status(502)), false);
});

test('gRPC conditions read grpc-status', () => {
  const cases: Array<[string, number]> = [
    ['cancelled', 1],
    ['deadline-exceeded', 4],
    ['internal', 13],
    ['resource-exhausted', 8],
    ['unavailable', 14],
  ];
  for (const [name, code] of cases) {
    const p = policy([name]);
    assert.equal(isRetriable(p, status(200, code)), true, name);
    for (const [, other] of cases) if (other !== code) assert.equal(isRetriable(p, status(200, other)), false);
    assert.equal(isRetriable(p, status(200)), false);
    assert.equal(isRetriable(p, status(200, 0)), false);
  }
  const both = policy(['unavailable', 'cancelled']);
  assert.equal(isRetriable(both, status(200, 1)), true);
  assert.equal(isRetriable(both, status(200, 14)), true);
});

test('an empty or unknown retryOn retries nothing; unknown names are reported', () => {
  assert.equal(isRetriable(policy([]), status(503)), false);
  assert.equal(isRetriable(policy(['5xxx']), status(503)), false);
  assert.deepEqual(unknownRetryConditions(['5xx', 'bogus', '503', 'retriable-4xx']), ['bogus', 'retriable-4xx']);
});

test('policies are compiled once: changes to a policy object after first use are not seen', () => {
  const p = policy(['5xx']);
  assert.equal(isRetriable(p, status(503)), true);
  p.retryOn = []; // policies come from an immutable snapshot; this documents the caching
  assert.equal(isRetriable(p, status(503)), true);
});

test('backoff: full jitter under (2^n − 1) × base, capped at max (default 10 × base)', () => {
  const max = (attempt: number) => backoffMs(attempt, 25, 250, () => 0.999999);
  assert.equal(max(1), 24);
  assert.equal(max(2), 74);
  assert.equal(max(3), 174);
  assert.equal(max(4), 249);
  assert.equal(max(40), 249);
  assert.equal(max(5000), 249); // 2^5000 is Infinity; still capped
  assert.equal(backoffMs(3, 25, 250, () => 0), 0);
  assert.equal(backoffMs(1, 100, 1000, () => 0.5), 50);
  assert.equal(backoffMs(4, 100, undefined, () => 0.999999), 999); // default max 10 × base
  assert.equal(backoffMs(1, 0, 0, () => 0.5), 0);
});

test('backoff: defaults are 25 ms base, 250 ms max; values spread uniformly', () => {
  for (let attempt = 1; attempt <= 6; attempt++) {
    const ceiling = Math.min((2 ** attempt - 1) * 25, 250);
    let sum = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const v = backoffMs(attempt);
      assert.ok(Number.isInteger(v) && v >= 0 && v < ceiling, `attempt ${attempt}: ${v}`);
      sum += v;
    }
    const mean = sum / n;
    assert.ok(Math.abs(mean - (ceiling - 1) / 2) < ceiling * 0.03, `attempt ${attempt}: mean ${mean}`);
  }
});
