import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeadParseError, parseRequestHead, parseResponseHead } from './head-parser.js';

function refused(fn: () => unknown, status: number): void {
  assert.throws(fn, (err: unknown) => err instanceof HeadParseError && err.status === status);
}

test('request head: fields in order, names lower-cased, values trimmed', () => {
  const h = parseRequestHead('GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nX-Custom:  v 1 \r\nAccept: */*', 100);
  assert.equal(h.method, 'GET');
  assert.equal(h.target, '/a?b=1');
  assert.equal(h.minor, 1);
  assert.deepEqual(h.headers.names, ['host', 'x-custom', 'accept']);
  assert.deepEqual(h.headers.values, ['example.com', 'v 1', '*/*']);
  // Fields added later (the proxy's own) land after the parsed ones.
  h.headers.names.push('x-request-id');
  h.headers.values.push('id');
  assert.equal(h.headers.size, 4);
  assert.equal(h.headers.get('x-request-id'), 'id');
});

test('request head without fields (HTTP/1.0)', () => {
  const h = parseRequestHead('GET / HTTP/1.0', 100);
  assert.equal(h.minor, 0);
  assert.equal(h.headers.size, 0);
});

test('remembered values never leak between different values of a field', () => {
  // Same length, different bytes: the second must not get the first's value.
  const a = parseResponseHead('HTTP/1.1 200 OK\r\nServer: alpha-1\r\nContent-Type: text/plain', 10);
  const b = parseResponseHead('HTTP/1.1 200 OK\r\nServer: alpha-2\r\nContent-Type: text/plain', 10);
  const c = parseResponseHead('HTTP/1.1 204 No Content\r\nserver: alpha-2\r\ncontent-type: text/html', 10);
  assert.equal(a.headers.get('server'), 'alpha-1');
  assert.equal(b.headers.get('server'), 'alpha-2');
  assert.equal(c.headers.get('server'), 'alpha-2');
  assert.equal(b.headers.get('content-type'), 'text/plain');
  assert.equal(c.headers.get('content-type'), 'text/html');
  assert.equal(c.status, 204);
  assert.equal(c.reason, 'No Content');
});

test('a value with a forbidden character is refused every time, remembered or not', () => {
  for (let i = 0; i < 3; i++) refused(() => parseRequestHead('GET / HTTP/1.1\r\nHost: a\0b', 100), 400);
  refused(() => parseRequestHead('GET / HTTP/1.1\r\nHost: a\rb', 100), 400);
  // The valid value is still accepted afterwards.
  assert.equal(parseRequestHead('GET / HTTP/1.1\r\nHost: ab', 100).headers.get('host'), 'ab');
});

test('field count limit, bare LF and malformed lines', () => {
  const many = 'GET / HTTP/1.1\r\n' + Array.from({ length: 5 }, (_, i) => `X-F${i}: ${i}`).join('\r\n');
  assert.equal(parseRequestHead(many, 5).headers.size, 5);
  refused(() => parseRequestHead(many, 4), 431);
  refused(() => parseRequestHead('GET / HTTP/1.1\nHost: a', 100), 400);
  refused(() => parseRequestHead('GET / HTTP/1.1\r\nHost a', 100), 400);
  refused(() => parseRequestHead('GET / HTTP/1.1\r\n Host: a', 100), 400);
  refused(() => parseRequestHead('GET / HTTP/2.0\r\nHost: a', 100), 505);
  refused(() => parseResponseHead('HTTP/1.1 20 OK', 100), 502);
});
