import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LATENCY_BUCKETS_MS, Registry } from './metrics.js';

test('renders a small registry exactly in text format 0.0.4', () => {
  const r = new Registry();
  const reqs = r.counter({ name: 'demo_requests_total', help: 'Requests.', labelNames: ['route', 'code'] });
  const up = r.gauge({ name: 'demo_up', help: 'Up.' });
  const lat = r.histogram({ name: 'demo_latency_ms', help: 'Latency.', labelNames: ['route'], buckets: [1, 10] });
  reqs.labels('a', '200').inc();
  reqs.labels('a', '200').inc(2);
  reqs.labels('b', '503').inc();
  up.labels().set(1);
  const h = lat.labels('a');
  h.observe(0.5);
  h.observe(1);
  h.observe(7);
  h.observe(12.5);
  assert.equal(
    r.render(),
    [
      '# HELP demo_requests_total Requests.',
      '# TYPE demo_requests_total counter',
      'demo_requests_total{route="a",code="200"} 3',
      'demo_requests_total{route="b",code="503"} 1',
      '# HELP demo_up Up.',
      '# TYPE demo_up gauge',
      'demo_up 1',
      '# HELP demo_latency_ms Latency.',
      '# TYPE demo_latency_ms histogram',
      'demo_latency_ms_bucket{route="a",le="1"} 2',
      'demo_latency_ms_bucket{route="a",le="10"} 3',
      'demo_latency_ms_bucket{route="a",le="+Inf"} 4',
      'demo_latency_ms_sum{route="a"} 21',
      'demo_latency_ms_count{route="a"} 4',
      '',
    ].join('\n'),
  );
});

test('an unlabeled histogram renders le alone; an empty registry renders nothing', () => {
  assert.equal(new Registry().render(), '');
  const r = new Registry();
  r.histogram({ name: 'h', help: 'H.', buckets: [0.5] }).labels().observe(3);
  assert.equal(
    r.render(),
    '# HELP h H.\n# TYPE h histogram\nh_bucket{le="0.5"} 0\nh_bucket{le="+Inf"} 1\nh_sum 3\nh_count 1\n',
  );
});

test('escapes label values (backslash, quote, newline) and HELP text (backslash, newline)', () => {
  const r = new Registry();
  const c = r.counter({ name: 'x_total', help: 'Line one\nsays "hi" \\ bye', labelNames: ['v'] });
  c.labels('a\\b"c"\nd').inc();
  assert.equal(
    r.render(),
    '# HELP x_total Line one\\nsays "hi" \\\\ bye\n# TYPE x_total counter\nx_total{v="a\\\\b\\"c\\"\\nd"} 1\n',
  );
  // The escaped form is the child's identity: the same raw value finds the same child.
  assert.equal(c.labels('a\\b"c"\nd').value, 1);
});

test('histogram buckets are cumulative and le is inclusive', () => {
  const r = new Registry();
  const h = r.histogram({ name: 'd', help: 'D.', buckets: [1, 5, 10] }).labels();
  for (const v of [0, 1, 1.0001, 5, 6, 10, 10.5, 1e9]) h.observe(v);
  h.observe(NaN); // dropped, must not poison the sum
  const lines = r.render().split('\n');
  assert.deepEqual(lines.slice(2), [
    'd_bucket{le="1"} 2',
    'd_bucket{le="5"} 4',
    'd_bucket{le="10"} 6',
    'd_bucket{le="+Inf"} 8',
    `d_sum ${0 + 1 + 1.0001 + 5 + 6 + 10 + 10.5 + 1e9}`,
    'd_count 8',
    '',
  ]);
});

test('default buckets are Istio latency buckets in ms', () => {
  assert.deepEqual(
    [...DEFAULT_LATENCY_BUCKETS_MS],
    [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000],
  );
  const r = new Registry();
  r.histogram({ name: 'l', help: 'L.' }).labels().observe(2);
  const text = r.render();
  assert.match(text, /l_bucket\{le="0\.5"\} 0\nl_bucket\{le="1"\} 0\nl_bucket\{le="5"\} 1\n/);
  assert.match(text, /l_bucket\{le="3600000"\} 1\nl_bucket\{le="\+Inf"\} 1\n/);
});

test('removed children stop rendering but keep working for their holders', () => {
  const r = new Registry();
  const c = r.counter({ name: 'c_total', help: 'C.', labelNames: ['route'] });
  const a = c.labels('a');
  const b = c.labels('b');
  a.inc();
  b.inc();
  assert.equal(c.remove('a'), true);
  assert.equal(c.remove('a'), false);
  a.inc(); // a request from the previous snapshot finishing late
  assert.equal(r.render(), '# HELP c_total C.\n# TYPE c_total counter\nc_total{route="b"} 1\n');
  // Coming back starts a fresh series (Prometheus treats it as a counter reset).
  assert.equal(c.labels('a').value, 0);
  // removeChild only removes that very child, never a newer one with the same labels.
  assert.equal(c.removeChild(a), false);
  assert.equal(c.removeChild(b), true);
  assert.equal(c.size, 1);
  const d = c.detachedChild('z');
  d.inc();
  assert.equal(c.size, 1);
  c.clear();
  assert.equal(r.render(), '# HELP c_total C.\n# TYPE c_total counter\n');
});

test('gauge read from a callback at render time; a throwing callback loses only its sample', () => {
  const r = new Registry();
  const g = r.gauge({ name: 'pool_size', help: 'P.', labelNames: ['cluster'] });
  let size = 3;
  g.labels('a').setFunction(() => size);
  g.labels('b').setFunction(() => {
    throw new Error('boom');
  });
  g.labels('c').set(-2);
  g.labels('c').inc(0.5);
  const body = () => r.render().split('\n').slice(2).join('\n');
  assert.equal(body(), 'pool_size{cluster="a"} 3\npool_size{cluster="c"} -1.5\n');
  size = 7;
  assert.equal(body(), 'pool_size{cluster="a"} 7\npool_size{cluster="c"} -1.5\n');
});

test('special values render as Prometheus spells them', () => {
  const r = new Registry();
  const g = r.gauge({ name: 'g', help: 'G.', labelNames: ['k'] });
  g.labels('inf').set(Infinity);
  g.labels('ninf').set(-Infinity);
  g.labels('nan').set(NaN);
  g.labels('big').set(1e21);
  assert.equal(r.render().split('\n').slice(2).join('\n'), 'g{k="inf"} +Inf\ng{k="ninf"} -Inf\ng{k="nan"} NaN\ng{k="big"} 1e+21\n');
});

test('rejects bad names, label counts, buckets and duplicates with clear errors', () => {
  const r = new Registry();
  assert.throws(() => r.counter({ name: '1bad', help: '' }), /invalid metric name "1bad"/);
  assert.throws(() => r.counter({ name: 'ok', help: '', labelNames: ['a-b'] }), /invalid label name "a-b" on metric ok/);
  assert.throws(() => r.counter({ name: 'ok2', help: '', labelNames: ['__x'] }), /invalid label name "__x"/);
  assert.throws(() => r.counter({ name: 'ok3', help: '', labelNames: ['a', 'a'] }), /repeats a label name/);
  assert.throws(() => r.histogram({ name: 'h1', help: '', labelNames: ['le'] }), /cannot use the label name "le"/);
  assert.throws(() => r.histogram({ name: 'h2', help: '', buckets: [5, 1] }), /strictly increasing/);
  assert.throws(() => r.histogram({ name: 'h3', help: '', buckets: [1, Infinity] }), /finite/);
  assert.throws(() => r.histogram({ name: 'h4', help: '', buckets: [] }), /at least one bucket/);
  const c = r.counter({ name: 'c', help: '', labelNames: ['a', 'b'] });
  assert.throws(() => r.gauge({ name: 'c', help: '' }), /metric c is already registered/);
  // The types forbid it; a caller going through `unknown` still gets a runtime error.
  const loose = c.labels as unknown as (...v: string[]) => unknown;
  assert.throws(() => loose.call(c, 'x'), /metric c takes 2 label values \(a, b\), got 1/);
});
