import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextRequestId } from './request-id.js';

test('request ids are UUID-shaped, share the process prefix and count up by one through hex carries', () => {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  let prev = nextRequestId();
  const seen = new Set([prev]);
  for (let i = 0; i < 70_000; i++) {
    const id = nextRequestId();
    assert.match(id, uuid);
    assert.equal(id.slice(0, 24), prev.slice(0, 24));
    assert.equal(parseInt(id.slice(24), 16), parseInt(prev.slice(24), 16) + 1, `${prev} → ${id}`);
    seen.add(id);
    prev = id;
  }
  assert.equal(seen.size, 70_001);
});
