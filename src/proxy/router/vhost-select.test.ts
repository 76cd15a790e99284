import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualHostSelector } from './vhost-select.js';
import { splitAuthority } from './authority.js';
import { FieldError } from './errors.js';

function selector(entries: [string, string][]): VirtualHostSelector<string> {
  const s = new VirtualHostSelector<string>();
  entries.forEach(([domain, value], i) => s.add(domain, value, `d[${i}]`));
  s.seal();
  return s;
}

test('splitAuthority: case, port, trailing dot, IPv6', () => {
  assert.deepEqual(splitAuthority('Reviews.default:9080.'), { host: 'reviews.default', port: '9080' });
  assert.deepEqual(splitAuthority('reviews.default.:9080'), { host: 'reviews.default', port: '9080' });
  assert.deepEqual(splitAuthority('REVIEWS.'), { host: 'reviews', port: '' });
  assert.deepEqual(splitAuthority('[::1]:8080'), { host: '[::1]', port: '8080' });
  assert.deepEqual(splitAuthority('[::1]'), { host: '[::1]', port: '' });
  assert.deepEqual(splitAuthority('::1'), { host: '::1', port: '' });
  assert.deepEqual(splitAuthority(''), { host: '', port: '' });
  assert.deepEqual(splitAuthority('*'), { host: '*', port: '' });
});

test('exact domains ignore case, port and trailing dot', () => {
  const s = selector([['reviews.default', 'reviews']]);
  for (const a of ['reviews.default', 'Reviews.Default', 'reviews.default:9080', 'Reviews.default:9080.', 'reviews.default.', 'reviews.default.:80']) {
    assert.equal(s.select(a), 'reviews', a);
  }
  assert.equal(s.select('reviews'), undefined);
  assert.equal(s.select('reviews.default.svc'), undefined);
});

test('a domain with a port matches only that port, and beats the same domain without one', () => {
  const s = selector([
    ['reviews', 'any-port'],
    ['reviews:9080', 'port-9080'],
    ['ratings:9080', 'ratings-9080'],
  ]);
  assert.equal(s.select('reviews:9080'), 'port-9080');
  assert.equal(s.select('REVIEWS:9080.'), 'port-9080');
  assert.equal(s.select('reviews:9081'), 'any-port');
  assert.equal(s.select('reviews'), 'any-port');
  assert.equal(s.select('ratings:9080'), 'ratings-9080');
  assert.equal(s.select('ratings:9081'), undefined);
  assert.equal(s.select('ratings'), undefined);
});

test('precedence: exact, then suffix (longest first), then prefix (longest first), then *', () => {
  const s = selector([
    ['*', 'star'],
    ['api.*', 'prefix-short'],
    ['api.example.*', 'prefix-long'],
    ['*.com', 'suffix-short'],
    ['*.example.com', 'suffix-long'],
    ['www.example.com', 'exact'],
  ]);
  assert.equal(s.select('www.example.com'), 'exact');
  assert.equal(s.select('shop.example.com'), 'suffix-long');
  assert.equal(s.select('api.example.com'), 'suffix-long', 'suffix wildcards come before prefix wildcards');
  assert.equal(s.select('other.com'), 'suffix-short');
  assert.equal(s.select('api.example.org'), 'prefix-long');
  assert.equal(s.select('api.test'), 'prefix-short');
  assert.equal(s.select('localhost:8080'), 'star');
  assert.equal(s.select(''), 'star', 'no Host at all still reaches the catch-all');
});

test('a wildcard stands for at least one character', () => {
  const s = selector([
    ['*.example.com', 'sub'],
    ['foo.*', 'foo'],
  ]);
  assert.equal(s.select('example.com'), undefined);
  assert.equal(s.select('.example.com'), undefined, 'the * must cover at least one character');
  assert.equal(s.select('x.example.com'), 'sub');
  assert.equal(s.select('a.b.example.com'), 'sub');
  assert.equal(s.select('foo.'), undefined, 'foo. is foo with a trailing dot');
  assert.equal(s.select('foo.bar'), 'foo');
});

test('wildcards and * with ports', () => {
  const s = selector([
    ['*.example.com', 'sub-any'],
    ['*.example.com:8443', 'sub-8443'],
    ['*:80', 'star-80'],
  ]);
  assert.equal(s.select('a.example.com:8443'), 'sub-8443');
  assert.equal(s.select('a.example.com:9000'), 'sub-any');
  assert.equal(s.select('elsewhere:80'), 'star-80');
  assert.equal(s.select('elsewhere:81'), undefined);
  assert.equal(s.select('elsewhere'), undefined);
});

test('longer wildcard wins over configuration order; equal ones keep it', () => {
  const s = selector([
    ['*.b.c', 'short'],
    ['*.a.b.c', 'long'],
  ]);
  assert.equal(s.select('x.a.b.c'), 'long');
  assert.equal(s.select('x.z.b.c'), 'short');
});

test('IPv6 authorities', () => {
  const s = selector([
    ['[::1]', 'v6'],
    ['[::1]:9090', 'v6-9090'],
  ]);
  assert.equal(s.select('[::1]:8080'), 'v6');
  assert.equal(s.select('[::1]:9090'), 'v6-9090');
  assert.equal(s.select('[::1]'), 'v6');
});

test('the answer cache gives the same answers, including misses, and stays bounded', () => {
  const s = selector([['a.test', 'a']]);
  for (let round = 0; round < 2; round++) {
    assert.equal(s.select('A.test:1'), 'a');
    assert.equal(s.select('b.test'), undefined);
  }
  for (let i = 0; i < 5000; i++) s.select(`h${i}.test`);
  const cache = (s as unknown as { cache: Map<string, unknown> }).cache;
  assert.ok(cache.size <= 1024, `cache size ${cache.size}`);
  assert.equal(s.select('a.test'), 'a');
  cache.clear();
  const long = `${'x'.repeat(5000)}.a.test`;
  assert.equal(s.select(long), undefined);
  assert.equal(cache.has(long), false, 'oversized authorities are answered but not cached');
});

test('duplicate domains and misplaced wildcards are rejected', () => {
  assert.throws(
    () => selector([['reviews', 'a'], ['Reviews.', 'b']]),
    (e: unknown) => e instanceof FieldError && e.path === 'd[1]' && e.reason.includes('already used'),
  );
  assert.throws(() => selector([['*', 'a'], ['*', 'b']]), FieldError);
  assert.throws(() => selector([['a.*.com', 'a']]), FieldError);
  // Same host on different ports is not a duplicate.
  assert.doesNotThrow(() => selector([['reviews', 'a'], ['reviews:9080', 'b']]));
});
