import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileStringMatch } from './string-match.js';
import { compileAnchoredRegex } from './regex.js';
import { FieldError } from './errors.js';

test('exact matches the whole value only', () => {
  const m = compileStringMatch({ exact: 'canary' }, 'v');
  assert.equal(m.test('canary'), true);
  assert.equal(m.test('canary2'), false);
  assert.equal(m.test('Canary'), false);
  assert.equal(m.test(''), false);
});

test('prefix and suffix', () => {
  const p = compileStringMatch({ prefix: 'Bearer ' }, 'v');
  assert.equal(p.test('Bearer abc'), true);
  assert.equal(p.test('Bearer '), true);
  assert.equal(p.test('bearer abc'), false);
  const s = compileStringMatch({ suffix: '.json' }, 'v');
  assert.equal(s.test('a.json'), true);
  assert.equal(s.test('.json'), true);
  assert.equal(s.test('a.jsonx'), false);
});

test('empty literals: exact "" matches only empty, prefix "" matches all', () => {
  assert.equal(compileStringMatch({ exact: '' }, 'v').test(''), true);
  assert.equal(compileStringMatch({ exact: '' }, 'v').test('x'), false);
  assert.equal(compileStringMatch({ prefix: '' }, 'v').test('anything'), true);
});

test('regex is anchored to the whole value', () => {
  const m = compileStringMatch({ regex: 'v[0-9]+' }, 'v');
  assert.equal(m.test('v12'), true);
  assert.equal(m.test('xv12'), false);
  assert.equal(m.test('v12x'), false);
  // An alternation cannot escape the anchors.
  const alt = compileStringMatch({ regex: 'a|b' }, 'v');
  assert.equal(alt.test('a'), true);
  assert.equal(alt.test('ab'), false);
  assert.equal(alt.test('xb'), false);
});

test('testRange matches a slice in place for every kind', () => {
  const s = 'xx=canary&y';
  assert.equal(compileStringMatch({ exact: 'canary' }, 'v').testRange(s, 3, 9), true);
  assert.equal(compileStringMatch({ exact: 'canar' }, 'v').testRange(s, 3, 9), false);
  assert.equal(compileStringMatch({ prefix: 'can' }, 'v').testRange(s, 3, 9), true);
  assert.equal(compileStringMatch({ prefix: 'canary&' }, 'v').testRange(s, 3, 9), false);
  assert.equal(compileStringMatch({ suffix: 'ary' }, 'v').testRange(s, 3, 9), true);
  assert.equal(compileStringMatch({ suffix: 'y' }, 'v').testRange(s, 3, 8), false);
  assert.equal(compileStringMatch({ regex: 'c.*y' }, 'v').testRange(s, 3, 9), true);
  assert.equal(compileStringMatch({ regex: 'c[a-z]*' }, 'v').testRange(s, 3, 11), false);
});

test('regex: RE2 spellings (?i) and (?P<name>) are accepted', () => {
  const i = compileAnchoredRegex('(?i)abc', false, 'x');
  assert.equal(i.test('ABC'), true);
  const named = compileAnchoredRegex('(?P<ver>v[0-9])/.*', false, 'x');
  assert.equal(named.test('v1/users'), true);
  assert.equal(named.exec('v2/x')?.groups?.ver, 'v2');
});

test('regex: "]" first in a class is a literal, as in RE2', () => {
  const re = compileAnchoredRegex('[]a]+', false, 'x');
  assert.equal(re.test(']a]'), true);
  assert.equal(re.test('b'), false);
  const neg = compileAnchoredRegex('[^]]', false, 'x');
  assert.equal(neg.test('a'), true);
  assert.equal(neg.test(']'), false);
});

test('regex: backreferences and lookaround are rejected with the field path', () => {
  for (const src of ['(a)\\1', '(?<x>a)\\k<x>', 'a(?=b)', 'a(?!b)', '(?<=a)b', '(?<!a)b']) {
    assert.throws(
      () => compileAnchoredRegex(src, false, 'match.path.regex'),
      (e: unknown) => e instanceof FieldError && e.path === 'match.path.regex' && /not supported/.test(e.reason),
      src,
    );
  }
  // Escaped or in a class, these characters are fine.
  assert.equal(compileAnchoredRegex('\\(\\?=[(?=!]', false, 'x').test('(?=!'), true);
});

test('regex: a syntax error names the field and the pattern', () => {
  assert.throws(
    () => compileStringMatch({ regex: '(unclosed' }, 'headers[0].value'),
    (e: unknown) => e instanceof FieldError && e.path === 'headers[0].value.regex' && e.reason.includes('"(unclosed"'),
  );
});
