// Retries, budgets, timeouts, circuit breakers, outlier detection, faults and mirroring, each
// against real upstream servers.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { call, callMany } from '../support/client.js';
import { proxyFor, snapshotWith, cluster } from '../support/proxy.js';

let up: TestUpstream;
let bad: TestUpstream;
let shadow: TestUpstream;
before(async () => {
  up = await startUpstream('good');
  bad = await startUpstream('bad');
  shadow = await startUpstream('shadow');
});
after(async () => {
  await up.close();
  await bad.close();
  await shadow.close();
});

/** Makes `u` answer `status` for its next `n` requests, then behave normally. */
function failNext(u: TestUpstream, n: number, status: number): void {
  let left = n;
  u.override = (req, res) => {
    if (left <= 0) return false;
    left--;
    req.resume();
    res.writeHead(status).end('failing');
    return true;
  };
}

test('retries exactly as configured: attempts, conditions, then success', async () => {
  const proxy = await proxyFor(
    snapshotWith([{ forward: { destinations: [{ cluster: 'c' }], retry: { attempts: 2, retryOn: ['5xx'], backoff: { baseMs: 1 } } } }], [cluster('c', [up.port])]),
  );
  try {
    up.seen.length = 0;
    failNext(up, 2, 503);
    const ok = await call(proxy.port, '/');
    assert.equal(ok.status, 200);
    assert.equal(up.seen.length, 3, 'one try and two retries');

    up.seen.length = 0;
    failNext(up, 5, 503);
    const failed = await call(proxy.port, '/');
    assert.equal(failed.status, 503, 'the upstream answer is passed on when retries run out');
    assert.equal(up.seen.length, 3);

    up.seen.length = 0;
    failNext(up, 1, 404);
    assert.equal((await call(proxy.port, '/')).status, 404, '4xx is not a retry condition');
    assert.equal(up.seen.length, 1);
  } finally {
    up.override = undefined;
    await proxy.close();
  }
});

test('the retry budget stops a retry storm', async () => {
  const proxy = await proxyFor(
    snapshotWith(
      [{ forward: { destinations: [{ cluster: 'c' }], retry: { attempts: 3, retryOn: ['5xx'], backoff: { baseMs: 1 } } } }],
      [cluster('c', [bad.port], { retryBudget: { retryRatio: 0.2, minRetriesPerSecond: 1 } })],
    ),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    bad.seen.length = 0;
    bad.override = (req, res) => {
      req.resume();
      res.writeHead(500).end();
      return true;
    };
    const n = 100;
    await callMany(n, 4, () => call(proxy.port, '/', { agent }));
    const retries = bad.seen.length - n;
    // Without a budget: 300 retries. Budget: 20% of 100 requests + 1/s × 10 s window = at most 30.
    assert.ok(retries >= 15 && retries <= 30, `retries sent: ${retries}`);
  } finally {
    bad.override = undefined;
    agent.destroy();
    await proxy.close();
  }
});

test('route timeout answers 504; per-try timeout retries on another try', async () => {
  const proxy = await proxyFor(
    snapshotWith(
      [
        { match: { headers: [{ name: 'x-short', present: true }] }, forward: { destinations: [{ cluster: 'c' }], timeoutMs: 150 } },
        { forward: { destinations: [{ cluster: 'c' }], retry: { attempts: 1, perTryTimeoutMs: 100, retryOn: ['gateway-error'] } } },
      ],
      [cluster('c', [up.port])],
    ),
  );
  try {
    const t0 = Date.now();
    const r = await call(proxy.port, '/delay/2000', { headers: { 'x-short': '1' } });
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-maille-error'], 'MAILLE_ERR_UPSTREAM_TIMEOUT');
    assert.match(r.body, /within the route timeout of 150 ms/);
    assert.ok(Date.now() - t0 < 1500);

    up.seen.length = 0;
    const slow = await call(proxy.port, '/delay/1000');
    assert.equal(slow.status, 504);
    assert.equal(up.seen.length, 2, 'the per-try timeout triggers one retry');
  } finally {
    await proxy.close();
  }
});

test('circuit breaker: over maxRequests answers 503 at once, and recovers', async () => {
  const proxy = await proxyFor(
    snapshotWith([{ forward: { destinations: [{ cluster: 'c' }] } }], [cluster('c', [up.port], { connectionPool: { maxRequests: 2 } })]),
  );
  try {
    const slow = [call(proxy.port, '/delay/300'), call(proxy.port, '/delay/300')];
    await new Promise((r) => setTimeout(r, 80));
    const t0 = Date.now();
    const tripped = await call(proxy.port, '/');
    assert.equal(tripped.status, 503);
    assert.equal(tripped.headers['x-maille-error'], 'MAILLE_ERR_BREAKER_OPEN');
    assert.ok(Date.now() - t0 < 150, 'refused at once, not queued');
    assert.deepEqual((await Promise.all(slow)).map((r) => r.status), [200, 200]);
    assert.equal((await call(proxy.port, '/')).status, 200, 'closed again once requests finish');
  } finally {
    await proxy.close();
  }
});

test('outlier detection ejects an endpoint returning 5xx, then readmits it', async () => {
  const proxy = await proxyFor(
    snapshotWith(
      [{ forward: { destinations: [{ cluster: 'c' }] } }],
      [
        cluster('c', [up.port, bad.port], {
          loadBalancer: { policy: 'round_robin' },
          outlierDetection: { consecutive5xx: 3, intervalMs: 50, baseEjectionTimeMs: 400, maxEjectionPercent: 100 },
        }),
      ],
    ),
  );
  try {
    bad.override = (req, res) => {
      req.resume();
      res.writeHead(500).end();
      return true;
    };
    // Round robin alternates: within 6 requests `bad` answers 500 three times and is ejected.
    for (let i = 0; i < 6; i++) await call(proxy.port, '/');
    bad.seen.length = 0;
    const during = await callMany(20, 1, () => call(proxy.port, '/'));
    assert.ok(during.every((r) => r.status === 200), 'ejected endpoint gets no traffic');
    assert.equal(bad.seen.length, 0);
    bad.override = undefined;
    await new Promise((r) => setTimeout(r, 600));
    await callMany(10, 1, () => call(proxy.port, '/'));
    assert.ok(bad.seen.length > 0, 'readmitted after the ejection time');
  } finally {
    bad.override = undefined;
    await proxy.close();
  }
});

test('fault injection: abort and delay at their percentages', async () => {
  const proxy = await proxyFor(
    snapshotWith(
      [
        { match: { path: { prefix: '/abort' } }, fault: { abort: { httpStatus: 418, percent: 50 } }, forward: { destinations: [{ cluster: 'c' }] } },
        { match: { path: { prefix: '/delay' } }, fault: { delay: { fixedMs: 200, percent: 100 } }, forward: { destinations: [{ cluster: 'c' }] } },
      ],
      [cluster('c', [up.port])],
    ),
  );
  try {
    const replies = await callMany(400, 8, () => call(proxy.port, '/abort'));
    const aborted = replies.filter((r) => r.status === 418);
    assert.ok(aborted.length > 140 && aborted.length < 260, `aborted ${aborted.length} of 400`);
    assert.equal(aborted[0].headers['x-maille-error'], 'MAILLE_ERR_FAULT_ABORT');
    const t0 = Date.now();
    assert.equal((await call(proxy.port, '/delay')).status, 200);
    assert.ok(Date.now() - t0 >= 190, 'delayed');
  } finally {
    await proxy.close();
  }
});

test('mirrored copies arrive with a -shadow authority and never change the response', async () => {
  const proxy = await proxyFor(
    snapshotWith(
      [{ forward: { destinations: [{ cluster: 'c' }], mirrors: [{ cluster: 'm' }] } }],
      [cluster('c', [up.port]), cluster('m', [shadow.port])],
    ),
  );
  try {
    shadow.seen.length = 0;
    shadow.override = (req, res) => {
      // A slow, failing mirror must not delay or alter the main response.
      setTimeout(() => res.writeHead(500).end(), 500);
      req.resume();
      return true;
    };
    const t0 = Date.now();
    const r = await call(proxy.port, '/echo', { method: 'POST', body: 'payload', host: 'reviews:9080' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'payload');
    assert.ok(Date.now() - t0 < 400);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(shadow.seen.length, 1);
    assert.equal(shadow.seen[0].headers.host, 'reviews-shadow:9080');
  } finally {
    shadow.override = undefined;
    await proxy.close();
  }
});
