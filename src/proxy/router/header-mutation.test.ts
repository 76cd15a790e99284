import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderList } from '../http/headers.js';
import { compileHeaderMutation } from './header-mutation.js';
import { FieldError } from './errors.js';

function pairs(h: HeaderList): string[] {
  return h.names.map((n, i) => `${n}: ${h.values[i]}`);
}

test('set replaces every value, add appends, remove drops all; names lower-cased at compile time', () => {
  const mut = compileHeaderMutation(
    { set: { 'X-Env': 'prod' }, add: { 'X-Hop': 'maille' }, remove: ['X-Debug'] },
    'rh',
  );
  assert.ok(mut);
  assert.deepEqual(mut.setNames, ['x-env']);
  assert.deepEqual(mut.addNames, ['x-hop']);
  assert.deepEqual(mut.remove, ['x-debug']);
  const h = HeaderList.fromRecord({ 'x-env': ['a', 'b'], 'x-hop': 'client', 'x-debug': ['1', '2'], host: 'h' });
  mut.apply(h);
  assert.deepEqual(pairs(h), ['x-env: prod', 'x-hop: client', 'host: h', 'x-hop: maille']);
});

test('order is remove, then set, then add', () => {
  const mut = compileHeaderMutation({ remove: ['x-a', 'x-b'], set: { 'x-a': 'set' }, add: { 'x-a': 'added', 'x-b': 'new' } }, 'rh');
  assert.ok(mut);
  const h = new HeaderList();
  h.add('x-a', 'client');
  h.add('x-b', 'client');
  mut.apply(h);
  // remove cleared the client's values; set wrote x-a; add appended beside it.
  assert.deepEqual(pairs(h), ['x-a: set', 'x-a: added', 'x-b: new']);
});

test('absent or empty mutations compile to undefined', () => {
  assert.equal(compileHeaderMutation(undefined, 'rh'), undefined);
  assert.equal(compileHeaderMutation({}, 'rh'), undefined);
  assert.equal(compileHeaderMutation({ set: {}, add: {}, remove: [] }, 'rh'), undefined);
});

test('invalid names and values with CR/LF are rejected with the field path', () => {
  assert.throws(
    () => compileHeaderMutation({ set: { 'bad name': 'x' } }, 'routes[0].requestHeaders'),
    (e: unknown) => e instanceof FieldError && e.path === 'routes[0].requestHeaders.set',
  );
  assert.throws(() => compileHeaderMutation({ remove: [':path'] }, 'rh'), FieldError);
  assert.throws(
    () => compileHeaderMutation({ add: { 'x-a': 'v\r\nx-injected: 1' } }, 'rh'),
    (e: unknown) => e instanceof FieldError && e.path === 'rh.add.x-a',
  );
});
