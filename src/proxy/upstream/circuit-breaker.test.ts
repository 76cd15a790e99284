import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BREAKER_KINDS, CircuitBreaker, DEFAULT_BREAKER_LIMIT } from './circuit-breaker.js';

test('unset limits are 1024 (Envoy)', () => {
  const b = new CircuitBreaker();
  for (const k of BREAKER_KINDS) assert.equal(b.limits[k], DEFAULT_BREAKER_LIMIT);
  assert.equal(new CircuitBreaker({ maxRequests: 5 }).limits.pending, 1024);
});

test('trips at the limit, counts trips per kind, and recovers on release', () => {
  const b = new CircuitBreaker({ maxRequests: 2, maxConnections: 1 });
  assert.ok(b.tryAcquire('requests'));
  assert.ok(b.tryAcquire('requests'));
  assert.equal(b.isOpen('requests'), true);
  assert.equal(b.tryAcquire('requests'), false);
  assert.equal(b.tryAcquire('requests'), false);
  assert.equal(b.trips.requests, 2);
  assert.equal(b.trips.connections, 0);
  assert.equal(b.open.requests, 2);
  b.release('requests');
  assert.equal(b.isOpen('requests'), false);
  assert.equal(b.remaining('requests'), 1);
  assert.ok(b.tryAcquire('requests'));
  // Kinds are independent.
  assert.ok(b.tryAcquire('connections'));
  assert.equal(b.tryAcquire('connections'), false);
  assert.equal(b.trips.connections, 1);
  assert.ok(b.tryAcquire('retries'));
});

test('maxPendingRequests 0 allows no queueing at all', () => {
  const b = new CircuitBreaker({ maxPendingRequests: 0, maxRetries: 0 });
  assert.equal(b.tryAcquire('pending'), false);
  assert.equal(b.tryAcquire('retries'), false);
  assert.deepEqual({ ...b.trips }, { connections: 0, pending: 1, requests: 0, retries: 1 });
});

test('release never drives a count below zero', () => {
  const b = new CircuitBreaker({ maxRequests: 1 });
  b.release('requests');
  assert.equal(b.open.requests, 0);
  assert.ok(b.tryAcquire('requests'));
  assert.equal(b.tryAcquire('requests'), false);
});

test('new limits keep what is open: lowering below it refuses until enough are released', () => {
  const b = new CircuitBreaker({ maxRequests: 10 });
  for (let i = 0; i < 5; i++) assert.ok(b.tryAcquire('requests'));
  b.setLimits({ maxRequests: 3 });
  assert.equal(b.tryAcquire('requests'), false);
  b.release('requests');
  b.release('requests');
  assert.equal(b.tryAcquire('requests'), false); // 3 open, limit 3
  b.release('requests');
  assert.ok(b.tryAcquire('requests'));
  b.setLimits(undefined);
  assert.equal(b.limits.requests, 1024);
});
