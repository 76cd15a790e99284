import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderList } from '../http/headers.js';
import { cookieValue, hashKeyFor, queryParameter } from './hash-key.js';

function req(headers: Record<string, string | string[]> = {}, path = '/', remoteAddress = '10.1.2.3') {
  return { headers: HeaderList.fromRecord(headers), path, remoteAddress };
}

test('header: the value, found whatever the case of the configured name', () => {
  const policy = { header: 'X-User' };
  assert.equal(hashKeyFor(policy, req({ 'x-user': 'alice' })), 'alice');
  assert.equal(hashKeyFor(policy, req({ 'x-other': 'alice' })), undefined);
  assert.equal(hashKeyFor(policy, req({ 'x-user': '' })), '');
});

test('header: repeated values hash in sorted order, so their order does not matter', () => {
  const policy = { header: 'x-user' };
  const a = hashKeyFor(policy, req({ 'x-user': ['b', 'a'] }));
  const b = hashKeyFor(policy, req({ 'x-user': ['a', 'b'] }));
  assert.equal(a, b);
  assert.equal(a, 'a,b');
});

test('cookie: one header with several cookies, or one header per cookie (HTTP/2)', () => {
  const policy = { cookie: 'session' };
  assert.equal(hashKeyFor(policy, req({ cookie: 'a=1; session=abc; b=2' })), 'abc');
  assert.equal(hashKeyFor(policy, req({ cookie: 'session=first' })), 'first');
  assert.equal(hashKeyFor(policy, req({ cookie: ['a=1', 'session=xyz'] })), 'xyz');
  assert.equal(hashKeyFor(policy, req({ cookie: 'a=1;session=tight' })), 'tight');
  assert.equal(hashKeyFor(policy, req({ cookie: 'session="quoted"' })), 'quoted');
  assert.equal(hashKeyFor(policy, req({ cookie: 'session=' })), '');
});

test('cookie: names match exactly (no prefix or suffix confusion), absent → undefined', () => {
  const h = HeaderList.fromRecord({ cookie: 'xsession=1; sessionx=2; Session=3' });
  assert.equal(cookieValue(h, 'session'), undefined);
  assert.equal(cookieValue(HeaderList.fromRecord({ cookie: 'xsession=1; session=2' }), 'session'), '2');
  assert.equal(cookieValue(new HeaderList(), 'session'), undefined);
  assert.equal(cookieValue(HeaderList.fromRecord({ cookie: 'garbage; session=ok' }), 'session'), 'ok');
});

test('query parameter: first value as sent, present-without-value is "", absent → undefined', () => {
  const policy = { queryParameter: 'user' };
  assert.equal(hashKeyFor(policy, req({}, '/p?a=1&user=bob&user=eve')), 'bob');
  assert.equal(hashKeyFor(policy, req({}, '/p?user')), '');
  assert.equal(hashKeyFor(policy, req({}, '/p?user&x=1')), '');
  assert.equal(hashKeyFor(policy, req({}, '/p?username=x&xuser=y')), undefined);
  assert.equal(hashKeyFor(policy, req({}, '/p')), undefined);
  assert.equal(hashKeyFor(policy, req({}, '/p?user=a%20b')), 'a%20b');
  assert.equal(queryParameter('/p?x=1#user=frag', 'user'), undefined);
  assert.equal(queryParameter('/p?user=v#frag', 'user'), 'v');
  assert.equal(queryParameter('/p?a=x=y&user=1', 'a'), 'x=y');
});

test('source IP: the peer address; IPv4-mapped IPv6 is reduced to IPv4', () => {
  const policy = { sourceIp: true as const };
  assert.equal(hashKeyFor(policy, req({}, '/', '10.0.0.9')), '10.0.0.9');
  assert.equal(hashKeyFor(policy, req({}, '/', '::ffff:10.0.0.9')), '10.0.0.9');
  assert.equal(hashKeyFor(policy, req({}, '/', '2001:db8::1')), '2001:db8::1');
  assert.equal(hashKeyFor(policy, req({}, '/', '')), undefined);
});
