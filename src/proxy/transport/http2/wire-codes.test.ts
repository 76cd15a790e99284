import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:http2';
import { CANCEL, ENHANCE_YOUR_CALM, FLAG_END_STREAM, INTERNAL_ERROR, REFUSED_STREAM } from './wire-codes.js';

test('the wire codes are the ones node:http2 (nghttp2) uses', () => {
  assert.equal(FLAG_END_STREAM, constants.NGHTTP2_FLAG_END_STREAM);
  assert.equal(INTERNAL_ERROR, constants.NGHTTP2_INTERNAL_ERROR);
  assert.equal(REFUSED_STREAM, constants.NGHTTP2_REFUSED_STREAM);
  assert.equal(CANCEL, constants.NGHTTP2_CANCEL);
  assert.equal(ENHANCE_YOUR_CALM, constants.NGHTTP2_ENHANCE_YOUR_CALM);
});
