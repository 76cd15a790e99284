import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderList } from './headers.js';

test('HeaderList keeps repeated fields and lower-cases names', () => {
  const h = new HeaderList();
  h.add('Set-Cookie', 'a=1');
  h.add('set-cookie', 'b=2');
  h.add('X-Id', '7');
  assert.deepEqual(h.getAll('set-cookie'), ['a=1', 'b=2']);
  assert.equal(h.get('x-id'), '7');
  h.set('set-cookie', 'c=3');
  assert.deepEqual(h.getAll('set-cookie'), ['c=3']);
  h.remove('X-ID');
  assert.equal(h.has('x-id'), false);
  assert.deepEqual(h.toRecord(), { 'set-cookie': 'c=3' });
});
