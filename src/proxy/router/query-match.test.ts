import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileQueryParamMatch, decodeQueryComponent } from './query-match.js';
import { FieldError } from './errors.js';
import type { QueryParamMatch } from '../../model/snapshot.js';

const m = (spec: QueryParamMatch, path: string) => compileQueryParamMatch(spec, 'q').matches(path, path.indexOf('?'));

test('exact, prefix, suffix, regex on values', () => {
  const path = '/search?lang=en-GB&q=mesh&debug';
  assert.equal(m({ name: 'lang', value: { exact: 'en-GB' } }, path), true);
  assert.equal(m({ name: 'lang', value: { exact: 'en' } }, path), false);
  assert.equal(m({ name: 'lang', value: { prefix: 'en' } }, path), true);
  assert.equal(m({ name: 'lang', value: { suffix: 'GB' } }, path), true);
  assert.equal(m({ name: 'q', value: { regex: 'm[a-z]+' } }, path), true);
  assert.equal(m({ name: 'q', value: { regex: 'me' } }, path), false, 'regex anchored to the value');
});

test('names match whole names only', () => {
  assert.equal(m({ name: 'q', present: true }, '/s?qq=1&aq=2'), false);
  assert.equal(m({ name: 'q', present: true }, '/s?qq=1&q=2'), true);
  assert.equal(m({ name: 'a', value: { exact: '1' } }, '/s?b=a=1'), false, '"=" inside a value is not a name');
});

test('present, absent, and name alone; no query at all', () => {
  assert.equal(m({ name: 'debug' }, '/x?debug'), true);
  assert.equal(m({ name: 'debug' }, '/x?debug='), true);
  assert.equal(m({ name: 'debug', present: true }, '/x?a=1&debug&b=2'), true);
  assert.equal(m({ name: 'debug', present: true }, '/x'), false);
  assert.equal(m({ name: 'debug', present: false }, '/x'), true);
  assert.equal(m({ name: 'debug', present: false }, '/x?'), true);
  assert.equal(m({ name: 'debug', present: false }, '/x?debug'), false);
  assert.equal(m({ name: 'debug', value: { exact: '' } }, '/x?debug'), true, 'no "=" means the empty value');
  assert.equal(m({ name: 'debug', value: { exact: '' } }, '/x?&&debug=&'), true, 'empty segments skipped');
});

test('values and names are percent-decoded, "+" is a space', () => {
  assert.equal(m({ name: 'q', value: { exact: 'service mesh' } }, '/s?q=service%20mesh'), true);
  assert.equal(m({ name: 'q', value: { exact: 'service mesh' } }, '/s?q=service+mesh'), true);
  assert.equal(m({ name: 'q', value: { exact: 'a&b=c' } }, '/s?q=a%26b%3Dc&x=1'), true);
  assert.equal(m({ name: 'city', value: { exact: 'Zürich' } }, '/s?city=Z%C3%BCrich'), true);
  assert.equal(m({ name: 'user id', value: { exact: '7' } }, '/s?user%20id=7'), true);
  assert.equal(m({ name: 'q', value: { prefix: 'a b' } }, '/s?q=a%20bc'), true);
  assert.equal(m({ name: 'q', value: { regex: '[0-9]+ [a-z]+' } }, '/s?q=12%20ab'), true);
});

test('the first occurrence of a repeated parameter decides', () => {
  assert.equal(m({ name: 'v', value: { exact: '1' } }, '/x?v=1&v=2'), true);
  assert.equal(m({ name: 'v', value: { exact: '2' } }, '/x?v=1&v=2'), false);
});

test('malformed escapes do not throw and are kept as written', () => {
  assert.equal(decodeQueryComponent('100%'), '100%');
  assert.equal(decodeQueryComponent('%zz%41'), '%zzA');
  assert.equal(decodeQueryComponent('%E2%82%AC%'), '€%');
  assert.equal(decodeQueryComponent('%C3'), '\ufffd', 'a lone UTF-8 lead byte becomes U+FFFD');
  assert.equal(decodeQueryComponent('plain'), 'plain');
  assert.equal(m({ name: 'p', value: { exact: '50%' } }, '/x?p=50%'), true);
});

test('present: false with a value is rejected', () => {
  assert.throws(() => compileQueryParamMatch({ name: 'x', present: false, value: { exact: '1' } }, 'q[0]'), FieldError);
});
