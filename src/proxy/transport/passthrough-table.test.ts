import { test } from 'node:test';
import assert from 'node:assert/strict';
import { passthroughTable, pickWeighted } from './passthrough-table.js';

const to = (cluster: string) => [{ cluster }];

test('exact names, then the most specific wildcard, then "*" (which also takes no SNI)', () => {
  const table = passthroughTable([
    { serverNames: ['shop.example.com', '*.example.com'], destinations: to('a') },
    { serverNames: ['*.apps.example.com', 'shop.example.com'], destinations: to('b') },
    { serverNames: ['*'], destinations: to('any') },
  ]);
  assert.deepEqual(table('SHOP.example.com'), to('a'));
  assert.deepEqual(table('x.apps.example.com'), to('b'));
  assert.deepEqual(table('y.x.apps.example.com'), to('b'));
  assert.deepEqual(table('other.example.com'), to('a'));
  assert.deepEqual(table('example.org'), to('any'));
  assert.deepEqual(table(undefined), to('any'));
});

test('without "*", unknown names and no SNI have no route', () => {
  const table = passthroughTable([{ serverNames: ['a.example.com'], destinations: to('a') }]);
  assert.equal(table('b.example.com'), undefined);
  assert.equal(table('example.com'), undefined);
  assert.equal(table(undefined), undefined);
});

test('pickWeighted follows the weights, skips zero weights', () => {
  const dests = [{ cluster: 'a', weight: 1 }, { cluster: 'b', weight: 3 }, { cluster: 'c', weight: 0 }];
  assert.equal(pickWeighted(dests, () => 0)?.cluster, 'a');
  assert.equal(pickWeighted(dests, () => 0.24)?.cluster, 'a');
  assert.equal(pickWeighted(dests, () => 0.26)?.cluster, 'b');
  assert.equal(pickWeighted(dests, () => 0.999)?.cluster, 'b');
  assert.equal(pickWeighted([{ cluster: 'z', weight: 0 }]), undefined);
});
