import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasRepeatedKey, parsePlainJson } from './json-text.js';

describe('parsePlainJson', () => {
  it('returns the value of plain JSON', () => {
    const text = '{"a": [1, {"b": "x\\"y", "c": null}], "d": {"a": 2}, "e": "{,}"}';
    assert.deepEqual(parsePlainJson(text), { value: JSON.parse(text) });
    assert.deepEqual(parsePlainJson(' null '), { value: null });
  });

  it('gives up on what JSON.parse refuses (the YAML path reports it with a position)', () => {
    for (const text of ['', '   ', '{"a": v1}', '{"a": 1,}', '\ufeff{}', '{a: 1}', '# c\n{}']) {
      assert.equal(parsePlainJson(text), undefined, JSON.stringify(text));
    }
  });

  it('gives up on a repeated key at any depth', () => {
    assert.equal(parsePlainJson('{"a": 1, "a": 2}'), undefined);
    assert.equal(parsePlainJson('[{"x": {"k": 1, "j": [1, {"k": 0}], "k": 3}}]'), undefined);
  });
});

describe('hasRepeatedKey', () => {
  it('compares keys by value, escapes decoded', () => {
    assert.equal(hasRepeatedKey('{"a": 1, "\\u0061": 2}'), true);
    assert.equal(hasRepeatedKey('{"a\\\\": 1, "a": 2}'), false);
    assert.equal(hasRepeatedKey('{"\\"": 1, "\\"\\"": 2}'), false);
  });

  it('keeps keys of sibling and nested objects apart', () => {
    assert.equal(hasRepeatedKey('[{"a": 1}, {"a": 2}]'), false);
    assert.equal(hasRepeatedKey('{"a": {"a": {"a": 1}}, "b": {}}'), false);
    assert.equal(hasRepeatedKey('{"a": ["a", "a"], "b": "a"}'), false);
    assert.equal(hasRepeatedKey('{"a": {}, "b": [], "a": 1}'), true);
  });
});
