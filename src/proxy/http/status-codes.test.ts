import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STATUS_CODES as NODE_STATUS_CODES } from 'node:http';
import { STATUS_CODES } from './status-codes.js';

test('the reason phrases are node:http\'s, code for code', () => {
  assert.deepEqual({ ...STATUS_CODES }, { ...NODE_STATUS_CODES });
});
