import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePathMatch, asciiLower, regionEqualsFolded } from './path-match.js';

/** Calls the matcher as the virtual host does: end at '?', bare path cut off. */
function m(spec: Parameters<typeof compilePathMatch>[0], path: string, ignoreCase = false): boolean {
  const q = path.indexOf('?');
  const end = q === -1 ? path.length : q;
  return compilePathMatch(spec, ignoreCase, 'p').matches(path, end, path.slice(0, end));
}

test('exact path, query ignored', () => {
  assert.equal(m({ exact: '/health' }, '/health'), true);
  assert.equal(m({ exact: '/health' }, '/health?full=1'), true);
  assert.equal(m({ exact: '/health' }, '/health/'), false);
  assert.equal(m({ exact: '/health' }, '/healthz'), false);
  assert.equal(m({ exact: '/health' }, '/Health'), false);
  assert.equal(m({ exact: '/health?' }, '/health?'), false, 'the ? is never part of the path');
});

test('prefix path is a plain string prefix, query ignored', () => {
  assert.equal(m({ prefix: '/api' }, '/api'), true);
  assert.equal(m({ prefix: '/api' }, '/api/v1'), true);
  assert.equal(m({ prefix: '/api' }, '/apiv2'), true);
  assert.equal(m({ prefix: '/api/' }, '/api?x=/api/'), false, 'the prefix must be in the path, not the query');
  assert.equal(m({ prefix: '/' }, '/anything?q'), true);
});

test('suffix path compares before the query', () => {
  assert.equal(m({ suffix: '.css' }, '/static/site.css'), true);
  assert.equal(m({ suffix: '.css' }, '/static/site.css?v=3'), true);
  assert.equal(m({ suffix: '.css' }, '/static/site.js?f=a.css'), false);
  assert.equal(m({ suffix: '/site.css' }, '.css'), false);
});

test('regex path is anchored and sees the path without the query', () => {
  assert.equal(m({ regex: '/users/[0-9]+' }, '/users/42'), true);
  assert.equal(m({ regex: '/users/[0-9]+' }, '/users/42?x=1'), true);
  assert.equal(m({ regex: '/users/[0-9]+' }, '/users/42/orders'), false);
  assert.equal(m({ regex: '/users/[0-9]+' }, '/api/users/42'), false);
  assert.equal(m({ regex: '/users/.*' }, '/users/?a'), true);
  assert.equal(m({ regex: '.*\\?.*' }, '/a?b'), false, 'the query is not part of what the regex sees');
});

test('ignoreCase folds ASCII for every kind', () => {
  assert.equal(m({ exact: '/Health' }, '/HEALTH', true), true);
  assert.equal(m({ prefix: '/API/' }, '/api/v1', true), true);
  assert.equal(m({ suffix: '.CSS' }, '/a.Css?x', true), true);
  assert.equal(m({ regex: '/users/[a-z]+' }, '/USERS/Bob', true), true);
  assert.equal(m({ exact: '/health' }, '/HEALTH', false), false);
  assert.equal(m({ prefix: '/api' }, '/xapi', true), false);
});

test('ascii helpers leave non-ASCII alone', () => {
  assert.equal(asciiLower('/ÄB-c'), '/Äb-c');
  assert.equal(regionEqualsFolded('/ÄB', 0, '/Äb'), true);
  assert.equal(regionEqualsFolded('/äB', 0, '/Äb'), false);
  assert.equal(regionEqualsFolded('ab', 1, 'bc'), false, 'out of range is no match');
  assert.equal(regionEqualsFolded('ab', -1, 'a'), false);
});
