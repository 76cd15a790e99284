import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderList } from '../http/headers.js';
import { compileHeaderMatch } from './header-match.js';
import { FieldError } from './errors.js';
import type { HeaderMatch } from '../../model/snapshot.js';

function h(...pairs: [string, string][]): HeaderList {
  const list = new HeaderList();
  for (const [n, v] of pairs) list.add(n, v);
  return list;
}
const m = (spec: HeaderMatch, headers: HeaderList) => compileHeaderMatch(spec, 'h').matches(headers);

test('value kinds: exact, prefix, suffix, regex; names compared case-insensitively', () => {
  const headers = h(['X-Env', 'canary-7'], ['user-agent', 'curl/8.5.0']);
  assert.equal(m({ name: 'x-env', value: { exact: 'canary-7' } }, headers), true);
  assert.equal(m({ name: 'X-ENV', value: { exact: 'canary' } }, headers), false);
  assert.equal(m({ name: 'x-env', value: { prefix: 'canary' } }, headers), true);
  assert.equal(m({ name: 'x-env', value: { suffix: '-7' } }, headers), true);
  assert.equal(m({ name: 'User-Agent', value: { regex: 'curl/[0-9.]+' } }, headers), true);
  assert.equal(m({ name: 'user-agent', value: { regex: 'curl' } }, headers), false, 'regex anchored');
});

test('a value match needs the header to be there', () => {
  assert.equal(m({ name: 'x-env', value: { prefix: '' } }, h()), false);
  assert.equal(m({ name: 'x-env', value: { exact: '' } }, h(['x-env', ''])), true);
});

test('present true / false, and name alone meaning present', () => {
  const withIt = h(['x-debug', '']);
  const without = h(['x-other', '1']);
  assert.equal(m({ name: 'x-debug', present: true }, withIt), true);
  assert.equal(m({ name: 'x-debug', present: true }, without), false);
  assert.equal(m({ name: 'x-debug' }, withIt), true);
  assert.equal(m({ name: 'x-debug' }, without), false);
  assert.equal(m({ name: 'x-debug', present: false }, withIt), false);
  assert.equal(m({ name: 'x-debug', present: false }, without), true);
  assert.equal(m({ name: 'x-debug', present: true, value: { exact: '1' } }, h(['x-debug', '1'])), true);
});

test('invert negates the whole match, including a missing header', () => {
  const canary = h(['x-env', 'canary']);
  const prod = h(['x-env', 'prod']);
  const none = h();
  const notCanary: HeaderMatch = { name: 'x-env', value: { exact: 'canary' }, invert: true };
  assert.equal(m(notCanary, canary), false);
  assert.equal(m(notCanary, prod), true);
  assert.equal(m(notCanary, none), true);
  assert.equal(m({ name: 'x-env', present: true, invert: true }, none), true);
  assert.equal(m({ name: 'x-env', present: true, invert: true }, prod), false);
  assert.equal(m({ name: 'x-env', present: false, invert: true }, prod), true);
  assert.equal(m({ name: 'x-env', present: false, invert: true }, none), false);
});

test('a repeated header is matched as its values joined by ","; cookie by "; "', () => {
  const headers = h(['accept', 'text/html'], ['x-a', '1'], ['accept', 'application/json']);
  assert.equal(m({ name: 'accept', value: { exact: 'text/html,application/json' } }, headers), true);
  assert.equal(m({ name: 'accept', value: { exact: 'text/html' } }, headers), false);
  assert.equal(m({ name: 'accept', value: { regex: '.*application/json.*' } }, headers), true);
  const cookies = h(['cookie', 'a=1'], ['cookie', 'user=bob']);
  assert.equal(m({ name: 'cookie', value: { regex: '.*user=bob.*' } }, cookies), true);
  assert.equal(m({ name: 'cookie', value: { exact: 'a=1; user=bob' } }, cookies), true);
});

test('present: false with a value is rejected', () => {
  assert.throws(
    () => compileHeaderMatch({ name: 'x', present: false, value: { exact: '1' } }, 'match.headers[0]'),
    (e: unknown) => e instanceof FieldError && e.path === 'match.headers[0]',
  );
});
