import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subjectAltNameValues } from './client-auth.js';

test("the values of Node's subjectaltname string, quoted ones included", () => {
  assert.deepEqual(subjectAltNameValues('DNS:a.example.com, URI:spiffe://td/ns/x/sa/y, IP Address:10.0.0.1, email:me@example.com'), [
    'a.example.com',
    'spiffe://td/ns/x/sa/y',
    '10.0.0.1',
    'me@example.com',
  ]);
  assert.deepEqual(subjectAltNameValues('DNS:"a,b.example.com", URI:spiffe://x'), ['a,b.example.com', 'spiffe://x']);
  assert.deepEqual(subjectAltNameValues(undefined), []);
  assert.deepEqual(subjectAltNameValues(''), []);
});
