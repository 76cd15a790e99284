import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OutlierDetection } from '../../model/snapshot.js';
import { createBalancer } from './balancers/index.js';
import { OutlierDetector, type OutlierDetectorOptions, type OutlierEvent } from './outlier-detection.js';
import { endpointsWithWeights, fakeClock, seededRandom, tally } from './testing.js';
import type { EndpointState, TryOutcome } from './types.js';

const S503: TryOutcome = { kind: 'response', status: 503 };
const S500: TryOutcome = { kind: 'response', status: 500 };
const S502: TryOutcome = { kind: 'response', status: 502 };
const OK: TryOutcome = { kind: 'response', status: 200 };

function setup(config: OutlierDetection | undefined, hosts = 4, options: OutlierDetectorOptions = {}) {
  const clock = fakeClock();
  const eps = endpointsWithWeights(new Array(hosts).fill(1));
  const events: OutlierEvent[] = [];
  const od = new OutlierDetector(config, eps, { clock, timer: false, onEvent: (e) => events.push(e), ...options });
  return { clock, eps, od, events };
}

function report(od: OutlierDetector, host: EndpointState, outcome: TryOutcome, times: number): void {
  for (let i = 0; i < times; i++) od.onResult(host, outcome);
}

test('defaults are Istio\'s: 5 consecutive 5xx, 10 s interval, 30 s base, 10 %', () => {
  const { od } = setup({});
  assert.deepEqual(od.settings, {
    consecutive5xx: 5,
    consecutiveGatewayErrors: 0,
    intervalMs: 10_000,
    baseEjectionTimeMs: 30_000,
    maxEjectionTimeMs: 300_000,
    maxEjectionPercent: 10,
    alwaysEjectOneHost: false,
  });
});

test('five consecutive 5xx eject a host for the base time; balancers skip it', () => {
  const { clock, eps, od, events } = setup({ maxEjectionPercent: 100 });
  report(od, eps[1], S503, 4);
  assert.equal(eps[1].ejectedUntil, 0);
  od.onResult(eps[1], S500);
  assert.equal(eps[1].ejectedUntil, clock() + 30_000);
  assert.equal(eps[1].ejections, 1);
  assert.equal(od.stats.ejections, 1);
  assert.equal(od.stats.ejectionsConsecutive5xx, 1);
  assert.equal(od.activeEjections(), 1);
  assert.deepEqual(events, [{ action: 'eject', host: eps[1], reason: 'consecutive-5xx', durationMs: 30_000 }]);
  const rr = createBalancer(undefined, eps, { clock, random: seededRandom(1) });
  const counts = tally(() => rr.pick({}), 300);
  assert.equal(counts.get(eps[1].key), undefined);
});

test('a success resets the run; non-5xx (4xx) count as success', () => {
  const { eps, od } = setup({ maxEjectionPercent: 100 });
  report(od, eps[0], S503, 4);
  od.onResult(eps[0], OK);
  report(od, eps[0], S503, 4);
  od.onResult(eps[0], { kind: 'response', status: 404 });
  report(od, eps[0], S503, 4);
  assert.equal(eps[0].ejectedUntil, 0);
  od.onResult(eps[0], S503);
  assert.ok(eps[0].ejectedUntil > 0);
});

test('connect failures, resets, refused streams and timeouts count as 5xx and gateway errors', () => {
  const { eps, od } = setup({ maxEjectionPercent: 100, consecutive5xx: 4 });
  od.onResult(eps[0], { kind: 'connect-failure' });
  od.onResult(eps[0], { kind: 'reset' });
  od.onResult(eps[0], { kind: 'refused-stream' });
  assert.equal(eps[0].ejectedUntil, 0);
  od.onResult(eps[0], { kind: 'timeout' });
  assert.ok(eps[0].ejectedUntil > 0);

  const g = setup({ maxEjectionPercent: 100, consecutive5xx: 0, consecutiveGatewayErrors: 2 });
  g.od.onResult(g.eps[0], { kind: 'connect-failure' });
  g.od.onResult(g.eps[0], { kind: 'timeout' });
  assert.ok(g.eps[0].ejectedUntil > 0);
  assert.equal(g.od.stats.ejectionsConsecutiveGatewayErrors, 1);
});

test('gateway errors: only 502/503/504 count; a 500 breaks the run', () => {
  const { eps, od } = setup({ maxEjectionPercent: 100, consecutive5xx: 0, consecutiveGatewayErrors: 3 });
  report(od, eps[0], S502, 2);
  od.onResult(eps[0], S500);
  report(od, eps[0], S502, 2);
  assert.equal(eps[0].ejectedUntil, 0);
  od.onResult(eps[0], { kind: 'response', status: 504 });
  assert.ok(eps[0].ejectedUntil > 0);
  assert.equal(od.stats.ejectionsConsecutive5xx, 0);
});

test('gRPC failures are read from grpc-status (UNAVAILABLE under HTTP 200 counts)', () => {
  const { eps, od } = setup({ maxEjectionPercent: 100, consecutive5xx: 2 });
  report(od, eps[0], { kind: 'response', status: 200, grpcStatus: 14 }, 2);
  assert.ok(eps[0].ejectedUntil > 0);
  report(od, eps[1], { kind: 'response', status: 200, grpcStatus: 5 }, 5); // NOT_FOUND: not a server error
  assert.equal(eps[1].ejectedUntil, 0);
});

test('an ejected host comes back when its time is up; the sweep resets its counters', () => {
  const { clock, eps, od, events } = setup({ maxEjectionPercent: 100 });
  report(od, eps[0], S503, 5);
  clock.advance(29_999);
  assert.ok(eps[0].ejectedUntil > clock());
  od.sweep();
  assert.equal(od.stats.unejections, 0);
  clock.advance(1);
  const rr = createBalancer(undefined, eps, { clock, random: seededRandom(2) });
  assert.ok(tally(() => rr.pick({}), 40).get(eps[0].key)); // picked again before any sweep
  od.sweep();
  assert.equal(eps[0].ejectedUntil, 0);
  assert.equal(od.stats.unejections, 1);
  assert.equal(events.at(-1)?.action, 'uneject');
  // Counters start from zero: 4 errors after readmission do not eject.
  report(od, eps[0], S503, 4);
  assert.equal(eps[0].ejectedUntil, 0);
});

test('errors from requests in flight while ejected do not extend the ejection', () => {
  const { clock, eps, od } = setup({ maxEjectionPercent: 100 });
  report(od, eps[0], S503, 5);
  const until = eps[0].ejectedUntil;
  clock.advance(1000);
  report(od, eps[0], S503, 20);
  assert.equal(eps[0].ejectedUntil, until);
  assert.equal(od.stats.ejections, 1);
  // Readmitted without a sweep (time passed): its first errors start a fresh count.
  clock.set(until);
  report(od, eps[0], S503, 4);
  assert.equal(eps[0].ejectedUntil, 0);
  assert.equal(od.stats.unejections, 1);
  od.onResult(eps[0], S503);
  assert.equal(eps[0].ejectedUntil, clock() + 60_000);
});

test('each ejection lasts base × multiplier, capped at max(300 s, base)', () => {
  const { clock, eps, od } = setup({ maxEjectionPercent: 100, baseEjectionTimeMs: 100_000 });
  const durations: number[] = [];
  for (let i = 0; i < 5; i++) {
    report(od, eps[0], S503, 5);
    durations.push(eps[0].ejectedUntil - clock());
    clock.set(eps[0].ejectedUntil);
    od.onResult(eps[0], OK); // readmitted (no sweep in between, so no decay)
  }
  assert.deepEqual(durations, [100_000, 200_000, 300_000, 300_000, 300_000]);
  // The multiplier stops growing once past the cap (Envoy), so decay is quick afterwards.
  assert.equal(eps[0].ejections, 4);
  assert.equal(od.totalEjections(eps[0]), 5);
});

test('the multiplier decays by one per interval the host stays in service', () => {
  const { clock, eps, od } = setup({ maxEjectionPercent: 100, intervalMs: 10_000, baseEjectionTimeMs: 1_000 });
  for (let i = 0; i < 3; i++) {
    report(od, eps[0], S503, 5);
    clock.set(eps[0].ejectedUntil);
    od.sweep();
  }
  assert.equal(eps[0].ejections, 3);
  od.sweep(); // less than an interval since readmission: no decay yet
  assert.equal(eps[0].ejections, 3);
  clock.advance(10_000);
  od.sweep();
  assert.equal(eps[0].ejections, 2);
  clock.advance(10_000);
  od.sweep();
  clock.advance(10_000);
  od.sweep();
  assert.equal(eps[0].ejections, 0);
  clock.advance(10_000);
  od.sweep();
  assert.equal(eps[0].ejections, 0);
  // A fresh ejection lasts the base time again.
  report(od, eps[0], S503, 5);
  assert.equal(eps[0].ejectedUntil - clock(), 1_000);
});

test('max ejection percent: (ejected + 1) / hosts must stay within it', () => {
  const { eps, od, events } = setup({}, 10); // default 10 %
  report(od, eps[0], S503, 5);
  report(od, eps[1], S503, 5);
  assert.ok(eps[0].ejectedUntil > 0);
  assert.equal(eps[1].ejectedUntil, 0);
  assert.equal(od.stats.ejectionsOverflow, 1);
  assert.equal(events.at(-1)?.action, 'overflow');
  // The counter that fired was reset: a further error alone does not retry the ejection.
  od.onResult(eps[1], S503);
  assert.equal(od.stats.ejectionsOverflow, 1);

  const half = setup({ maxEjectionPercent: 50 }, 3);
  for (const e of half.eps) report(half.od, e, S503, 5);
  assert.equal(half.od.activeEjections(), 1); // 2 of 3 would be 67 %
});

test('small clusters: Envoy ejects none at 10 %, unless alwaysEjectOneHost', () => {
  const strict = setup({}, 3);
  report(strict.od, strict.eps[0], S503, 5);
  assert.equal(strict.eps[0].ejectedUntil, 0);
  assert.equal(strict.od.stats.ejectionsOverflow, 1);

  const lenient = setup({}, 3, { alwaysEjectOneHost: true });
  report(lenient.od, lenient.eps[0], S503, 5);
  report(lenient.od, lenient.eps[1], S503, 5);
  assert.equal(lenient.od.activeEjections(), 1);
});

test('no outlierDetection configured: nothing is ever ejected', () => {
  const { eps, od } = setup(undefined);
  assert.equal(od.enabled, false);
  report(od, eps[0], S503, 100);
  assert.equal(eps[0].ejectedUntil, 0);
  const off = setup({ consecutive5xx: 0, maxEjectionPercent: 100 });
  report(off.od, off.eps[0], S503, 100);
  assert.equal(off.eps[0].ejectedUntil, 0);
});

test('update: hosts keep their state, removed ones are forgotten, turning it off readmits', () => {
  const { eps, od } = setup({ maxEjectionPercent: 100 });
  report(od, eps[0], S503, 5);
  report(od, eps[1], S503, 3);
  od.update({ maxEjectionPercent: 100 }, [eps[0], eps[1]]);
  assert.ok(eps[0].ejectedUntil > 0);
  report(od, eps[1], S503, 2); // the count of 3 carried over
  assert.ok(eps[1].ejectedUntil > 0);
  report(od, eps[2], S503, 10); // no longer in the cluster: ignored
  assert.equal(eps[2].ejectedUntil, 0);
  od.update(undefined, [eps[0], eps[1]]);
  assert.equal(eps[0].ejectedUntil, 0);
  assert.equal(eps[1].ejectedUntil, 0);
});

test('the interval timer sweeps, is unref\'d, and stops on dispose', async () => {
  const clock = fakeClock();
  const eps = endpointsWithWeights([1, 1]);
  const od = new OutlierDetector({ maxEjectionPercent: 100, intervalMs: 5, baseEjectionTimeMs: 1 }, eps, { clock });
  const timer = (od as unknown as { timer?: NodeJS.Timeout }).timer;
  assert.ok(timer);
  assert.equal(timer.hasRef(), false);
  report(od, eps[0], S503, 5);
  clock.advance(1);
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(od.stats.unejections, 1, 'the timer readmitted the host');
  od.dispose();
  assert.equal((od as unknown as { timer?: NodeJS.Timeout }).timer, undefined);
  report(od, eps[0], S503, 5);
  clock.advance(10);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(od.stats.unejections, 1, 'no sweep after dispose');
});
