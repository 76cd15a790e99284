import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProxyMetrics } from './proxy-metrics.js';

/** Sample lines of one metric name, without HELP/TYPE. */
function samples(text: string, prefix: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(prefix + '{') || l.startsWith(prefix + ' '));
}

test('route handle counts by status code and observes durations', () => {
  const m = new ProxyMetrics();
  const r = m.forRoute('reviews-v1', 'reviews|v1');
  r.request(200, 3);
  r.request(200, 7);
  r.request(503, 0.2);
  r.request(0, 1); // reset before any response
  r.request(1234, 1); // nonsense status: counted as 0, no new series
  r.request(NaN, 1);
  assert.equal(m.forRoute('reviews-v1', 'reviews|v1'), r, 'same handle for the same pair');
  const text = m.render();
  assert.deepEqual(samples(text, 'maille_requests_total'), [
    'maille_requests_total{route="reviews-v1",cluster="reviews|v1",code="200"} 2',
    'maille_requests_total{route="reviews-v1",cluster="reviews|v1",code="503"} 1',
    'maille_requests_total{route="reviews-v1",cluster="reviews|v1",code="0"} 3',
  ]);
  assert.deepEqual(samples(text, 'maille_request_duration_ms_count'), [
    'maille_request_duration_ms_count{route="reviews-v1",cluster="reviews|v1"} 6',
  ]);
  assert.ok(text.includes('maille_request_duration_ms_bucket{route="reviews-v1",cluster="reviews|v1",le="0.5"} 1\n'));
  assert.ok(text.includes('maille_request_duration_ms_bucket{route="reviews-v1",cluster="reviews|v1",le="5"} 5\n'));
  assert.ok(text.includes('# TYPE maille_request_duration_ms histogram\n'));
});

test('cluster, listener and error handles', () => {
  const m = new ProxyMetrics();
  const c = m.forCluster('ratings');
  c.retry();
  c.retry();
  c.breakerTrip('pending');
  c.ejection();
  c.connOpened();
  c.connOpened();
  c.connClosed();
  const l = m.forListener('outbound');
  l.opened();
  m.proxyError('MAILLE_ERR_UPSTREAM_TIMEOUT');
  m.proxyError('MAILLE_ERR_UPSTREAM_TIMEOUT');
  const text = m.render();
  assert.deepEqual(samples(text, 'maille_retries_total'), ['maille_retries_total{cluster="ratings"} 2']);
  assert.deepEqual(samples(text, 'maille_breaker_trips_total'), [
    'maille_breaker_trips_total{cluster="ratings",kind="connections"} 0',
    'maille_breaker_trips_total{cluster="ratings",kind="pending"} 1',
    'maille_breaker_trips_total{cluster="ratings",kind="requests"} 0',
    'maille_breaker_trips_total{cluster="ratings",kind="retries"} 0',
  ]);
  assert.deepEqual(samples(text, 'maille_outlier_ejections_total'), ['maille_outlier_ejections_total{cluster="ratings"} 1']);
  assert.deepEqual(samples(text, 'maille_upstream_active_connections'), ['maille_upstream_active_connections{cluster="ratings"} 1']);
  assert.deepEqual(samples(text, 'maille_downstream_active_connections'), [
    'maille_downstream_active_connections{listener="outbound"} 1',
  ]);
  assert.deepEqual(samples(text, 'maille_proxy_errors_total'), ['maille_proxy_errors_total{code="MAILLE_ERR_UPSTREAM_TIMEOUT"} 2']);
  assert.match(text, /^process_resident_memory_bytes \d+$/m);
  assert.match(text, /^nodejs_heap_used_bytes \d+$/m);
});

test('retain drops what a new snapshot no longer has; held handles do not resurrect series', () => {
  const m = new ProxyMetrics();
  const old = m.forRoute('r1', 'a');
  old.request(200, 1);
  m.forRoute('r1', 'b').request(200, 1);
  m.forRoute('r2', 'a').request(200, 1);
  const gone = m.forCluster('gone');
  gone.connOpened();
  m.forCluster('a').retry();
  m.forListener('old').opened();
  m.forListener('new').opened();

  m.retain({ routes: [['r1', 'b'], ['r2', 'a']], clusters: ['a'], listeners: ['new'] });
  // In-flight work of the old snapshot finishes, with a code never seen before.
  old.request(404, 1);
  gone.connClosed();

  const text = m.render();
  assert.deepEqual(samples(text, 'maille_requests_total'), [
    'maille_requests_total{route="r1",cluster="b",code="200"} 1',
    'maille_requests_total{route="r2",cluster="a",code="200"} 1',
  ]);
  assert.deepEqual(samples(text, 'maille_request_duration_ms_count'), [
    'maille_request_duration_ms_count{route="r1",cluster="b"} 1',
    'maille_request_duration_ms_count{route="r2",cluster="a"} 1',
  ]);
  assert.deepEqual(samples(text, 'maille_upstream_active_connections'), ['maille_upstream_active_connections{cluster="a"} 0']);
  assert.equal(samples(text, 'maille_breaker_trips_total').length, 4);
  assert.deepEqual(samples(text, 'maille_downstream_active_connections'), ['maille_downstream_active_connections{listener="new"} 1']);

  // Coming back gives a new handle and a fresh series.
  const again = m.forRoute('r1', 'a');
  assert.notEqual(again, old);
  again.request(200, 1);
  assert.ok(m.render().includes('maille_requests_total{route="r1",cluster="a",code="200"} 1\n'));

  // A kind left out of `live` is not touched.
  m.retain({ routes: [] });
  assert.equal(samples(m.render(), 'maille_requests_total').length, 0);
  assert.equal(samples(m.render(), 'maille_downstream_active_connections').length, 1);
});

test('many requests with mixed codes are all counted (speed is measured in bench/, not here)', () => {
  const m = new ProxyMetrics();
  const r = m.forRoute('r', 'c');
  const n = 200_000;
  for (let i = 0; i < n; i++) r.request(i % 50 === 0 ? 503 : 200, i % 300);
  const text = m.render();
  assert.ok(text.includes('maille_requests_total{route="r",cluster="c",code="503"} 4000\n'));
  assert.ok(text.includes('maille_requests_total{route="r",cluster="c",code="200"} 196000\n'));
});
